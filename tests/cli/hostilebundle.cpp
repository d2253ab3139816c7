#include "hostilebundle.h"

#include "bundle.h"

#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>

namespace initscope::test {

namespace {

constexpr qint64 kMs = 1000000;
// 2024-06-01 10:00:00 UTC.
constexpr qint64 kRunStart = qint64(1717236000) * 1000000000;

// Terminal and text tricks, each a way a string could act on a terminal or hide what it is.
const QString kEsc = QStringLiteral("\x1b[31mred\x1b[0m");                       // SGR colour
const QString kClear = QStringLiteral("\x1b[2J\x1b[H");                          // clear screen
const QString kTitle = QStringLiteral("\x1b]0;owned\x07");                       // OSC window title
const QString kLink = QStringLiteral("\x1b]8;;http://example.invalid/\x1b\\here\x1b]8;;\x1b\\");
const QString kBidi = QStringLiteral("\u202Egpj.so\u202C");                      // right-to-left override
const QString kIsolate = QStringLiteral("\u2067lib\u2069");                      // right-to-left isolate
const QString kZeroWidth = QStringLiteral("libcuda\u200B.so.1");                 // zero-width space
const QString kControls = QStringLiteral("bell\x07 back\x08space cr\rhidden nul") + QChar(0) + QStringLiteral("end");

QString huge(const QString &head)
{
    QString s = head;
    s.reserve(kHugeBytes);
    while (s.size() < kHugeBytes)
        s += QStringLiteral("0123456789abcdef");
    s.truncate(kHugeBytes);
    return s;
}

Event event(qint64 processId, qint64 tsNs, const QString &kind, const QString &name, const QByteArray &payload)
{
    Event e;
    e.processId = processId;
    e.tid = 1;
    e.tsNs = tsNs;
    e.kind = kind;
    e.name = name;
    e.payload = payload;
    return e;
}

OutputChunk chunk(qint64 processId, Stream stream, qint64 tsNs, const QByteArray &data)
{
    OutputChunk c;
    c.processId = processId;
    c.stream = stream;
    c.tsNs = tsNs;
    c.data = data;
    return c;
}

} // namespace

QStringList hostileShellSnippets(const QString &markerDir)
{
    return {QStringLiteral("$(touch %1/subst)").arg(markerDir),
            QStringLiteral("`touch %1/backtick`").arg(markerDir),
            QStringLiteral("; touch %1/semicolon; rm -rf %1/nothing").arg(markerDir),
            QStringLiteral("&& touch %1/and").arg(markerDir),
            QStringLiteral("| tee %1/pipe").arg(markerDir),
            QStringLiteral("${IFS}touch${IFS}%1/ifs").arg(markerDir)};
}

bool writeHostileBundle(const QString &path, const QString &markerDir, HostileBundle *ids, QString *why)
{
    BundleError error;
    auto w = BundleWriter::create(path, &error);
    if (!w) {
        *why = error.message;
        return false;
    }
    const QStringList shell = hostileShellSnippets(markerDir);
    const QString all = shell.join(QLatin1Char(' '));
    w->setMetadata(QStringLiteral("title"), QStringLiteral("title ") + kTitle + kBidi + shell[0]);

    // What a retry would run: it must be shown and refused without a person's yes.
    const QJsonObject config{
        {QStringLiteral("name"), QStringLiteral("hostile ") + kEsc},
        {QStringLiteral("command"),
         QJsonArray{QStringLiteral("/bin/sh"), QStringLiteral("-c"),
                    QStringLiteral("touch %1/retry-ran %2").arg(markerDir, all) + kClear + kBidi}},
        {QStringLiteral("environment"),
         QJsonObject{{QStringLiteral("clean"), true},
                     {QStringLiteral("set"),
                      QJsonObject{{QStringLiteral("EVIL"), shell[0] + kEsc},
                                  {QStringLiteral("LD_PRELOAD"), QStringLiteral("/tmp/") + shell[1] + QStringLiteral(".so")},
                                  {QStringLiteral("FAKE"), QStringLiteral("ok\n  set        LOOKS_HARMLESS=1")},
                                  {QStringLiteral("BIDI"), kBidi + kIsolate}}}}},
        {QStringLiteral("shims"),
         QJsonArray{QJsonObject{{QStringLiteral("path"), QStringLiteral("/opt/") + shell[2] + QStringLiteral("/") + kZeroWidth}}}},
    };

    Run run;
    run.name = QStringLiteral("run ") + kTitle + kBidi + QStringLiteral(" ") + shell[0];
    run.command = {QStringLiteral("/bin/sh"), QStringLiteral("-c"), all + kClear + kLink};
    run.configJson = QJsonDocument(config).toJson(QJsonDocument::Compact);
    run.startRealtimeNs = kRunStart;
    run.durationNs = 900 * kMs;
    run.exitCode = 1;
    run.hostname = QStringLiteral("elsewhere-") + kBidi;
    run.recorderVersion = QStringLiteral("0.1.0") + kEsc;
    ids->runId = w->addRun(run);

    Process root;
    root.runId = ids->runId;
    root.pid = 4100;
    root.ppid = 1;
    root.exe = QStringLiteral("/usr/bin/") + kBidi + shell[1];
    root.argv = QStringList{root.exe, shell[0], shell[1], shell[2], shell[3], shell[4], shell[5], kEsc, kClear,
                            kTitle, kLink, kBidi, kIsolate, kZeroWidth, kControls,
                            huge(QStringLiteral("--huge=") + kEsc + shell[0])};
    root.env = {QStringLiteral("PATH=/usr/bin:/bin"),
                QStringLiteral("EVIL=") + shell[0] + kEsc,
                QStringLiteral("LD_PRELOAD=/tmp/") + shell[1] + QStringLiteral(".so"),
                QStringLiteral("PROMPT_COMMAND=") + shell[2],
                QStringLiteral("BIDI=") + kBidi + kIsolate,
                QStringLiteral("ZW=") + kZeroWidth,
                QStringLiteral("CONTROLS=") + kControls + kTitle,
                QStringLiteral("HUGE=") + huge(kLink + shell[0]),
                QStringLiteral("<b>HTML</b>=<img src=\"/nonexistent.png\">")};
    root.startNs = 0;
    root.endNs = 900 * kMs;
    root.endReason = EndReason::Exited;
    root.exitCode = 1;
    root.recorded = true;
    ids->rootId = w->addProcess(root);

    Process child;
    child.runId = ids->runId;
    child.pid = 4101;
    child.ppid = 4100;
    child.parentId = ids->rootId;
    child.exe = QStringLiteral("<b>bold</b>/") + kZeroWidth;
    child.argv = {child.exe, kLink, shell[3]};
    child.env = root.env.mid(0, 3);
    child.startNs = 10 * kMs;
    child.endNs = 800 * kMs;
    child.endReason = EndReason::Signaled;
    child.signal = 11;
    child.coreDumped = true;
    child.recorded = true;
    ids->childId = w->addProcess(child);

    // Output: every trick in bytes, a line that is not UTF-8, C1 controls in UTF-8, and a
    // line of 5 MiB.
    const QByteArray tricks = (QStringLiteral("error: ") + kEsc + kClear + kTitle + kLink + kBidi + kIsolate +
                               kZeroWidth + QStringLiteral(" ") + all)
                                  .toUtf8();
    w->addOutput(chunk(ids->rootId, Stream::Stderr, 5 * kMs, tricks + '\n'));
    w->addOutput(chunk(ids->rootId, Stream::Stderr, 6 * kMs,
                       QByteArray("fatal: bad bytes \xff\xfe\xc3( and C1 \xc2\x9b" "2J and \x07\x08 and ") +
                           QByteArray(1, '\0') + QByteArray(" nul\n")));
    w->addOutput(chunk(ids->rootId, Stream::Stdout, 7 * kMs,
                       "ggml_cuda_init: failed to initialize CUDA: no CUDA-capable device is detected " +
                           shell[0].toUtf8() + "\r\n"));
    w->addOutput(chunk(ids->rootId, Stream::Stderr, 8 * kMs, "cannot open shared object file: real\rfake ok\n"));
    w->addOutput(chunk(ids->childId, Stream::Stderr, 20 * kMs,
                       huge(QStringLiteral("error: ") + kEsc + kBidi + shell[1]).toUtf8() + '\n'));
    w->addOutput(chunk(ids->childId, Stream::Stderr, 21 * kMs, "Segmentation fault " + kTitle.toUtf8() + '\n'));

    // Calls with hostile decoded strings, and a payload that is not JSON nor UTF-8.
    const QJsonObject failedInit{
        {QStringLiteral("api"), QStringLiteral("driver")},
        {QStringLiteral("summary"), QStringLiteral("cuInit(0) → CUDA_ERROR_NO_DEVICE ") + kEsc + kBidi + shell[0]},
        {QStringLiteral("args"), QJsonObject{{QStringLiteral("Flags"), QStringLiteral("0 ") + kClear + shell[1]}}},
        {QStringLiteral("result"),
         QJsonObject{{QStringLiteral("code"), 100},
                     {QStringLiteral("name"), QStringLiteral("CUDA_ERROR_NO_DEVICE") + kTitle},
                     {QStringLiteral("message"), QStringLiteral("no CUDA-capable device is detected") + kLink},
                     {QStringLiteral("ok"), false}}},
        {QStringLiteral("returned"), true}};
    w->addEvent(event(ids->rootId, 30 * kMs, QStringLiteral("cuda.call"), QStringLiteral("cuInit") + kZeroWidth,
                      QJsonDocument(failedInit).toJson(QJsonDocument::Compact)));
    w->addEvent(event(ids->rootId, 31 * kMs, QStringLiteral("note") + kEsc, QStringLiteral("raw ") + kBidi,
                      QByteArray("not json \xff\xfe \x1b[2J ") + shell[2].toUtf8()));
    w->addEvent(event(ids->rootId, 32 * kMs, QStringLiteral("note"), QStringLiteral("huge payload"),
                      QJsonDocument(QJsonObject{{QStringLiteral("text"), huge(kEsc + shell[0])}}).toJson(QJsonDocument::Compact)));

    LibSearch search;
    search.processId = ids->rootId;
    search.tid = 1;
    search.tsNs = 3 * kMs;
    search.name = kZeroWidth + kBidi;
    search.requester = QStringLiteral("/opt/") + shell[1] + QStringLiteral("/bin/app") + kEsc;
    search.steps = {{QStringLiteral("/usr/lib/") + kBidi + QStringLiteral("/") + kZeroWidth, quint32(SearchOrigin::LibraryPath), 0},
                    {QStringLiteral("/tmp/") + shell[0] + QStringLiteral("/libcuda.so.1") + kClear, quint32(SearchOrigin::Default), 1}};
    search.outcome = SearchOutcome::NotFound;
    w->addLibSearch(search);

    LibLoad load;
    load.processId = ids->rootId;
    load.tid = 1;
    load.tsNs = 4 * kMs;
    load.path = QStringLiteral("/lib/") + kTitle + kZeroWidth;
    load.soname = kZeroWidth;
    load.base = 0x7f0000000000;
    w->addLibLoad(load);

    Artifact shim;
    shim.runId = ids->runId;
    shim.kind = QStringLiteral("shim");
    shim.path = QStringLiteral("/opt/") + shell[2] + QStringLiteral("/") + kZeroWidth + kBidi;
    shim.size = 3;
    shim.sha256 = "ab";
    shim.content = "\x1b[2J";
    w->addArtifact(shim);

    // A second run: the same program, another argv, so that `diff` has two runs to align.
    Run second = run;
    second.name = QStringLiteral("second ") + kEsc;
    ids->secondRunId = w->addRun(second);
    Process other = root;
    other.runId = ids->secondRunId;
    other.argv = QStringList{root.exe, shell[4] + kBidi};
    other.env = root.env.mid(0, 5);
    const qint64 otherId = w->addProcess(other);
    w->addOutput(chunk(otherId, Stream::Stderr, 5 * kMs, "error: other " + kEsc.toUtf8() + shell[5].toUtf8() + '\n'));
    w->addEvent(event(otherId, 30 * kMs, QStringLiteral("cuda.call"), QStringLiteral("cuInit"),
                      QJsonDocument(QJsonObject{{QStringLiteral("api"), QStringLiteral("driver")},
                                                {QStringLiteral("summary"), QStringLiteral("cuInit(0) → CUDA_SUCCESS") + kBidi},
                                                {QStringLiteral("result"), QJsonObject{{QStringLiteral("code"), 0},
                                                                                       {QStringLiteral("name"), QStringLiteral("CUDA_SUCCESS")},
                                                                                       {QStringLiteral("ok"), true}}},
                                                {QStringLiteral("returned"), true}})
                          .toJson(QJsonDocument::Compact)));

    if (!w->commit(&error)) {
        *why = error.message;
        return false;
    }
    return true;
}

namespace {

bool writeTree(const QString &path, int count, bool chain, QString *why)
{
    BundleError error;
    auto w = BundleWriter::create(path, &error);
    if (!w) {
        *why = error.message;
        return false;
    }
    Run run;
    run.name = chain ? QStringLiteral("chain of %1").arg(count) : QStringLiteral("%1 siblings").arg(count);
    run.command = {QStringLiteral("/usr/bin/spawner"), QString::number(count)};
    run.startRealtimeNs = kRunStart;
    run.durationNs = qint64(count + 10) * kMs;
    run.exitCode = 1;
    run.hostname = QStringLiteral("tree-host");
    const qint64 runId = w->addRun(run);

    qint64 rootId = -1, parentId = -1;
    for (int i = 0; i <= count; ++i) {
        Process p;
        p.runId = runId;
        p.pid = 1000 + i;
        p.ppid = i == 0 ? 1 : (chain ? 1000 + i - 1 : 1000);
        p.parentId = i == 0 ? -1 : (chain ? parentId : rootId);
        p.exe = QStringLiteral("/usr/bin/spawner");
        p.argv = {p.exe, QStringLiteral("--level"), QString::number(i)};
        p.startNs = qint64(i) * kMs;
        p.endNs = qint64(2 * count + 10 - i) * kMs;
        p.recorded = true;
        if (chain && i == count) {
            p.endReason = EndReason::Signaled;
            p.signal = 11;
        } else {
            p.endReason = EndReason::Exited;
            p.exitCode = chain ? 0 : 1;
        }
        parentId = w->addProcess(p);
        if (i == 0)
            rootId = parentId;
        w->addOutput(chunk(parentId, Stream::Stderr, p.startNs + 1000,
                           QStringLiteral("level %1: error: cannot open shared object file\n").arg(i).toUtf8()));
    }
    if (!w->commit(&error)) {
        *why = error.message;
        return false;
    }
    return true;
}

} // namespace

bool writeDeepChainBundle(const QString &path, int depth, QString *why)
{
    return writeTree(path, depth, true, why);
}

bool writeWideBundle(const QString &path, int count, QString *why)
{
    return writeTree(path, count, false, why);
}

qsizetype findUnsafe(const QByteArray &utf8, QString *what)
{
    const auto *p = reinterpret_cast<const unsigned char *>(utf8.constData());
    const qsizetype n = utf8.size();
    auto say = [&](qsizetype at, const QString &text) {
        if (what)
            *what = text;
        return at;
    };
    for (qsizetype i = 0; i < n;) {
        const unsigned char b = p[i];
        if (b < 0x80) {
            if ((b < 0x20 && b != '\n' && b != '\t') || b == 0x7f)
                return say(i, QStringLiteral("control byte 0x%1").arg(b, 2, 16, QLatin1Char('0')));
            ++i;
            continue;
        }
        int len = 0;
        char32_t c = 0;
        if (b >= 0xc2 && b <= 0xdf) {
            len = 2;
            c = b & 0x1f;
        } else if (b >= 0xe0 && b <= 0xef) {
            len = 3;
            c = b & 0x0f;
        } else if (b >= 0xf0 && b <= 0xf4) {
            len = 4;
            c = b & 0x07;
        } else {
            return say(i, QStringLiteral("invalid UTF-8 byte 0x%1").arg(b, 2, 16, QLatin1Char('0')));
        }
        if (i + len > n)
            return say(i, QStringLiteral("truncated UTF-8 sequence"));
        for (int k = 1; k < len; ++k) {
            if ((p[i + k] & 0xc0) != 0x80)
                return say(i, QStringLiteral("invalid UTF-8 sequence"));
            c = (c << 6) | (p[i + k] & 0x3f);
        }
        if ((len == 3 && c < 0x800) || (len == 4 && (c < 0x10000 || c > 0x10ffff)) || (c >= 0xd800 && c <= 0xdfff))
            return say(i, QStringLiteral("overlong or surrogate UTF-8"));
        const bool unsafe = (c >= 0x80 && c <= 0x9f) || c == 0xad || c == 0x61c || (c >= 0x200b && c <= 0x200f) ||
                            (c >= 0x2028 && c <= 0x202e) || (c >= 0x2060 && c <= 0x2069) || c == 0xfeff ||
                            (c >= 0xe0000 && c <= 0xe007f);
        if (unsafe)
            return say(i, QStringLiteral("U+%1").arg(quint32(c), 4, 16, QLatin1Char('0')).toUpper());
        i += len;
    }
    return -1;
}

} // namespace initscope::test
