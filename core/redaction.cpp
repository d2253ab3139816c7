#include "redaction.h"

#include "bundle.h"
#include "bundleschema.h"

#include <QFile>
#include <QJsonArray>
#include <QJsonDocument>
#include <QLocale>
#include <QRegularExpression>

#include <sqlite3.h>

#include <fcntl.h>
#include <unistd.h>

#include <algorithm>
#include <optional>

namespace initscope {

namespace {

const QRegularExpression &urlPasswordPattern()
{
    // scheme://user:password@host — the user is kept, the password replaced.
    static const QRegularExpression re(
        QStringLiteral("([A-Za-z][A-Za-z0-9+.-]*://[^/:@\\s]*):[^@/\\s]+@"));
    return re;
}

QString replaceUrlPasswords(const QString &text, int *count)
{
    if (!text.contains(QLatin1String("://")) || !text.contains(QLatin1Char('@')))
        return text;
    QString out;
    qsizetype last = 0;
    auto it = urlPasswordPattern().globalMatch(text);
    while (it.hasNext()) {
        const QRegularExpressionMatch m = it.next();
        out += QStringView(text).mid(last, m.capturedStart() - last);
        out += m.captured(1) + QLatin1Char(':') + QLatin1String(kRedacted) + QLatin1Char('@');
        last = m.capturedEnd();
        ++*count;
    }
    if (last == 0)
        return text;
    out += QStringView(text).mid(last);
    return out;
}

QStringList stringList(const QJsonValue &v, bool *ok)
{
    QStringList out;
    if (v.isUndefined())
        return out;
    if (!v.isArray()) {
        *ok = false;
        return out;
    }
    for (const QJsonValue &item : v.toArray()) {
        if (!item.isString()) {
            *ok = false;
            return {};
        }
        out << item.toString();
    }
    return out;
}

} // namespace

QStringList RedactionPolicy::defaultNamePatterns()
{
    return {QStringLiteral("TOKEN"),    QStringLiteral("SECRET"), QStringLiteral("PASSWORD"),
            QStringLiteral("PASSWD"),   QStringLiteral("KEY"),    QStringLiteral("CREDENTIAL"),
            QStringLiteral("AUTH"),     QStringLiteral("COOKIE")};
}

bool RedactionPolicy::isSecretName(const QString &name) const
{
    if (!enabled || keepNames.contains(name))
        return false;
    for (const QString &pattern : namePatterns) {
        if (!pattern.isEmpty() && name.contains(pattern, Qt::CaseInsensitive))
            return true;
    }
    return false;
}

QString RedactionPolicy::redactValue(const QString &name, const QString &value) const
{
    if (!enabled || keepNames.contains(name))
        return value;
    if (isSecretName(name))
        return QString::fromLatin1(kRedacted);
    int count = 0;
    return urlPasswords ? replaceUrlPasswords(value, &count) : value;
}

QJsonObject RedactionPolicy::toJson() const
{
    return QJsonObject{{QStringLiteral("enabled"), enabled},
                       {QStringLiteral("names"), QJsonArray::fromStringList(namePatterns)},
                       {QStringLiteral("keep"), QJsonArray::fromStringList(keepNames)},
                       {QStringLiteral("urlPasswords"), urlPasswords},
                       {QStringLiteral("minScrubLength"), minScrubLength}};
}

bool RedactionPolicy::fromJson(const QJsonObject &o, RedactionPolicy *policy, QString *error)
{
    RedactionPolicy p;
    for (auto it = o.begin(); it != o.end(); ++it) {
        const QString key = it.key();
        bool ok = true;
        if (key == QLatin1String("enabled") || key == QLatin1String("urlPasswords")) {
            ok = it->isBool();
            (key == QLatin1String("enabled") ? p.enabled : p.urlPasswords) = it->toBool();
        } else if (key == QLatin1String("names")) {
            p.namePatterns = stringList(*it, &ok);
        } else if (key == QLatin1String("keep")) {
            p.keepNames = stringList(*it, &ok);
        } else if (key == QLatin1String("minScrubLength")) {
            ok = it->isDouble() && it->toDouble() >= 1 && it->toDouble() <= 4096;
            p.minScrubLength = it->toInt();
        } else {
            *error = QStringLiteral("unknown redaction key \"%1\"").arg(key);
            return false;
        }
        if (!ok) {
            *error = QStringLiteral("redaction key \"%1\" has a value of the wrong type").arg(key);
            return false;
        }
    }
    *policy = p;
    return true;
}

void RedactionSummary::merge(const RedactionSummary &other)
{
    variables.unite(other.variables);
    urlPasswords += other.urlPasswords;
    scrubbedValues += other.scrubbedValues;
}

QJsonObject RedactionSummary::toJson(const RedactionPolicy &policy) const
{
    QStringList names(variables.begin(), variables.end());
    names.sort();
    return QJsonObject{{QStringLiteral("policy"), policy.toJson()},
                       {QStringLiteral("variables"), QJsonArray::fromStringList(names)},
                       {QStringLiteral("urlPasswords"), urlPasswords},
                       {QStringLiteral("scrubbedValues"), double(scrubbedValues)}};
}

RedactionSummary RedactionSummary::fromJson(const QJsonObject &o)
{
    RedactionSummary s;
    for (const QJsonValue &v : o.value(QStringLiteral("variables")).toArray())
        s.variables.insert(v.toString());
    s.urlPasswords = o.value(QStringLiteral("urlPasswords")).toInt();
    s.scrubbedValues = qint64(o.value(QStringLiteral("scrubbedValues")).toDouble());
    return s;
}

QString RedactionSummary::describe() const
{
    QStringList names(variables.begin(), variables.end());
    names.sort();
    QStringList parts;
    if (!names.isEmpty())
        parts << QStringLiteral("%1 %2 (%3)")
                     .arg(names.size())
                     .arg(names.size() == 1 ? QStringLiteral("variable") : QStringLiteral("variables"),
                          names.join(QStringLiteral(", ")));
    if (urlPasswords)
        parts << QStringLiteral("URL passwords in %1 %2")
                     .arg(urlPasswords)
                     .arg(urlPasswords == 1 ? QStringLiteral("place") : QStringLiteral("places"));
    if (scrubbedValues)
        parts << QStringLiteral("secret values in %1 other %2")
                     .arg(QLocale::c().toString(scrubbedValues))
                     .arg(scrubbedValues == 1 ? QStringLiteral("place") : QStringLiteral("places"));
    return parts.isEmpty() ? QStringLiteral("nothing") : parts.join(QStringLiteral(", "));
}

QString SecretScrubber::redactEnvEntry(const QString &kv, RedactionSummary *summary)
{
    const qsizetype eq = kv.indexOf(QLatin1Char('='));
    if (eq <= 0 || !m_policy.enabled)
        return kv;
    const QString name = kv.left(eq);
    const QString value = kv.mid(eq + 1);
    if (m_policy.keepNames.contains(name))
        return kv;
    if (m_policy.isSecretName(name)) {
        if (value == QLatin1String(kRedacted))
            return kv;
        addSecretValue(value);
        summary->variables.insert(name);
        return kv.left(eq + 1) + QLatin1String(kRedacted);
    }
    if (!m_policy.urlPasswords)
        return kv;
    int count = 0;
    const QString redacted = replaceUrlPasswords(value, &count);
    if (count == 0)
        return kv;
    // The password itself is a secret value: it may be printed somewhere else too.
    auto it = urlPasswordPattern().globalMatch(value);
    while (it.hasNext()) {
        const QRegularExpressionMatch m = it.next();
        const QString whole = m.captured(0);
        addSecretValue(whole.mid(m.captured(1).size() + 1, whole.size() - m.captured(1).size() - 2));
    }
    summary->urlPasswords += count;
    return kv.left(eq + 1) + redacted;
}

void SecretScrubber::addSecretValue(const QString &value)
{
    const QByteArray bytes = value.toUtf8();
    if (bytes.size() < m_policy.minScrubLength || bytes.contains(kRedacted) || m_values.contains(bytes))
        return;
    // A path would take every library search trail and load with it.
    if (bytes.startsWith('/') && !bytes.contains(' '))
        return;
    m_values.append(bytes);
    std::stable_sort(m_values.begin(), m_values.end(),
                     [](const QByteArray &a, const QByteArray &b) { return a.size() > b.size(); });
    m_longest = std::max(m_longest, int(bytes.size()));
}

QByteArray SecretScrubber::scrub(const QByteArray &bytes, RedactionSummary *summary) const
{
    if (!m_policy.enabled)
        return bytes;
    QByteArray out = bytes;
    for (const QByteArray &value : m_values) {
        qsizetype at = out.indexOf(value);
        while (at >= 0) {
            out.replace(at, value.size(), kRedacted);
            ++summary->scrubbedValues;
            at = out.indexOf(value, at + qsizetype(sizeof(kRedacted) - 1));
        }
    }
    if (m_policy.urlPasswords && out.contains("://") && out.contains('@')) {
        // Only valid UTF-8 goes through the pattern, so bytes of other encodings stay as they are.
        const QString text = QString::fromUtf8(out);
        if (text.toUtf8() == out) {
            int count = 0;
            const QString replaced = replaceUrlPasswords(text, &count);
            if (count) {
                summary->urlPasswords += count;
                out = replaced.toUtf8();
            }
        }
    }
    return out;
}

QString SecretScrubber::scrub(const QString &text, RedactionSummary *summary) const
{
    if (!m_policy.enabled || (m_values.isEmpty() && !text.contains(QLatin1String("://"))))
        return text;
    return QString::fromUtf8(scrub(text.toUtf8(), summary));
}

void SecretScrubber::scrubAcross(QByteArray &previous, QByteArray &current, RedactionSummary *summary) const
{
    if (m_values.isEmpty() || previous.isEmpty() || current.isEmpty())
        return;
    const qsizetype tail = std::min<qsizetype>(previous.size(), m_longest - 1);
    const qsizetype head = std::min<qsizetype>(current.size(), m_longest - 1);
    const QByteArray joined = previous.right(tail) + current.left(head);
    for (const QByteArray &value : m_values) {
        for (qsizetype at = joined.indexOf(value); at >= 0; at = joined.indexOf(value, at + 1)) {
            const qsizetype end = at + value.size();
            if (at < tail && end > tail) {
                // Cut the part in `previous` down to the marker, drop the part in `current`.
                previous.replace(previous.size() - (tail - at), tail - at, kRedacted);
                current.remove(0, end - tail);
                ++summary->scrubbedValues;
                return; // one value can span one boundary only once
            }
        }
    }
}

namespace {

// A small owner of an sqlite3 connection and its statements for the redacting pass.
class Db
{
public:
    ~Db()
    {
        if (m_db)
            sqlite3_close_v2(m_db);
    }
    bool open(const QString &path)
    {
        return sqlite3_open_v2(QFile::encodeName(path).constData(), &m_db, SQLITE_OPEN_READWRITE,
                               nullptr) == SQLITE_OK;
    }
    QString error() const { return m_db ? QString::fromUtf8(sqlite3_errmsg(m_db)) : QStringLiteral("cannot open"); }
    bool exec(const char *sql) { return sqlite3_exec(m_db, sql, nullptr, nullptr, nullptr) == SQLITE_OK; }

    // Runs `select` (id, value) and, for each row where `change` returns a new value, `update`
    // (value, id). Blob values are passed as bytes; text as UTF-8 bytes; NULL rows are skipped.
    template <typename Change>
    bool rewrite(const char *select, const char *update, bool asBlob, Change change)
    {
        sqlite3_stmt *sel = nullptr, *upd = nullptr;
        if (sqlite3_prepare_v2(m_db, select, -1, &sel, nullptr) != SQLITE_OK
            || sqlite3_prepare_v2(m_db, update, -1, &upd, nullptr) != SQLITE_OK) {
            sqlite3_finalize(sel);
            return false;
        }
        // The updates go to a list first: changing rows under a running SELECT is undefined.
        std::vector<std::pair<sqlite3_int64, QByteArray>> changes;
        int rc;
        while ((rc = sqlite3_step(sel)) == SQLITE_ROW) {
            if (sqlite3_column_type(sel, 1) == SQLITE_NULL)
                continue;
            const int kind = sqlite3_column_type(sel, 1);
            const void *data = sqlite3_column_blob(sel, 1);
            const QByteArray value(static_cast<const char *>(data), sqlite3_column_bytes(sel, 1));
            std::optional<QByteArray> changed = change(sqlite3_column_int64(sel, 0), value, kind);
            if (changed)
                changes.emplace_back(sqlite3_column_int64(sel, 0), *changed);
        }
        sqlite3_finalize(sel);
        bool ok = rc == SQLITE_DONE;
        for (const auto &[id, value] : changes) {
            if (!ok)
                break;
            if (asBlob)
                sqlite3_bind_blob(upd, 1, value.constData(), int(value.size()), SQLITE_TRANSIENT);
            else
                sqlite3_bind_text(upd, 1, value.constData(), int(value.size()), SQLITE_TRANSIENT);
            sqlite3_bind_int64(upd, 2, id);
            ok = sqlite3_step(upd) == SQLITE_DONE;
            sqlite3_reset(upd);
        }
        sqlite3_finalize(upd);
        return ok;
    }

    sqlite3 *handle() const { return m_db; }

private:
    sqlite3 *m_db = nullptr;
};

bool redactOpenBundle(Db &db, const RedactionPolicy &policy, RedactionSummary *summary)
{
    SecretScrubber scrubber(policy);
    // 1. Environments: secret names and URL passwords; the values learnt for the rest.
    if (!db.rewrite("SELECT id, text FROM strings WHERE id IN (SELECT string_id FROM process_env)",
                    "UPDATE strings SET text = ? WHERE id = ?", false,
                    [&](sqlite3_int64, const QByteArray &text, int) -> std::optional<QByteArray> {
                        const QString kv = QString::fromUtf8(text);
                        const QString redacted = scrubber.redactEnvEntry(kv, summary);
                        if (redacted == kv)
                            return std::nullopt;
                        return redacted.toUtf8();
                    }))
        return false;
    // 2. The runs' configs: the variables set for the run.
    if (!db.rewrite("SELECT id, config_json FROM runs", "UPDATE runs SET config_json = ? WHERE id = ?", false,
                    [&](sqlite3_int64, const QByteArray &json, int) -> std::optional<QByteArray> {
                        QJsonObject config = QJsonDocument::fromJson(json).object();
                        QJsonObject env = config.value(QStringLiteral("environment")).toObject();
                        QJsonObject set = env.value(QStringLiteral("set")).toObject();
                        bool changed = false;
                        for (auto it = set.begin(); it != set.end(); ++it) {
                            const QString kv = it.key() + QLatin1Char('=') + it->toString();
                            const QString redacted = scrubber.redactEnvEntry(kv, summary);
                            if (redacted != kv) {
                                *it = redacted.mid(it.key().size() + 1);
                                changed = true;
                            }
                        }
                        if (!changed)
                            return std::nullopt;
                        env.insert(QStringLiteral("set"), set);
                        config.insert(QStringLiteral("environment"), env);
                        return QJsonDocument(config).toJson(QJsonDocument::Compact);
                    }))
        return false;
    // 3. Every other string and text the bundle keeps.
    auto scrubText = [&](sqlite3_int64, const QByteArray &text, int kind) -> std::optional<QByteArray> {
        if (kind != SQLITE_TEXT)
            return std::nullopt; // compact call payloads: numbers and the driver's own strings
        const QByteArray out = scrubber.scrub(text, summary);
        return out == text ? std::nullopt : std::optional<QByteArray>(out);
    };
    auto scrubBytes = [&](sqlite3_int64, const QByteArray &bytes, int) -> std::optional<QByteArray> {
        const QByteArray out = scrubber.scrub(bytes, summary);
        return out == bytes ? std::nullopt : std::optional<QByteArray>(out);
    };
    if (!db.rewrite("SELECT id, text FROM strings", "UPDATE strings SET text = ? WHERE id = ?", false, scrubText)
        || !db.rewrite("SELECT id, name FROM runs", "UPDATE runs SET name = ? WHERE id = ?", false, scrubText)
        || !db.rewrite("SELECT id, command FROM runs", "UPDATE runs SET command = ? WHERE id = ?", false, scrubText)
        || !db.rewrite("SELECT id, config_json FROM runs", "UPDATE runs SET config_json = ? WHERE id = ?", false,
                       scrubText)
        || !db.rewrite("SELECT id, payload FROM events", "UPDATE events SET payload = ? WHERE id = ?", false,
                       scrubText)
        || !db.rewrite("SELECT id, content FROM artifacts", "UPDATE artifacts SET content = ? WHERE id = ?", true,
                       scrubBytes))
        return false;
    // 4. Output, stream by stream, including values split between two chunks.
    struct Chunk {
        sqlite3_int64 id = 0;
        QByteArray data;
        QByteArray original;
    };
    std::optional<Chunk> previous;
    sqlite3_int64 previousStream = -1, previousProcess = -1;
    std::vector<std::pair<sqlite3_int64, QByteArray>> changes;
    auto settle = [&](const Chunk &c) {
        if (c.data != c.original)
            changes.emplace_back(c.id, c.data);
    };
    {
        sqlite3_stmt *sel = nullptr;
        if (sqlite3_prepare_v2(db.handle(), "SELECT id, process_id, stream, data FROM output ORDER BY process_id, stream, id",
                               -1, &sel, nullptr) != SQLITE_OK)
            return false;
        int rc;
        while ((rc = sqlite3_step(sel)) == SQLITE_ROW) {
            Chunk c;
            c.id = sqlite3_column_int64(sel, 0);
            const sqlite3_int64 process = sqlite3_column_int64(sel, 1), stream = sqlite3_column_int64(sel, 2);
            c.original = QByteArray(static_cast<const char *>(sqlite3_column_blob(sel, 3)), sqlite3_column_bytes(sel, 3));
            c.data = scrubber.scrub(c.original, summary);
            if (previous && process == previousProcess && stream == previousStream)
                scrubber.scrubAcross(previous->data, c.data, summary);
            if (previous)
                settle(*previous);
            previous = std::move(c);
            previousProcess = process;
            previousStream = stream;
        }
        sqlite3_finalize(sel);
        if (rc != SQLITE_DONE)
            return false;
        if (previous)
            settle(*previous);
    }
    sqlite3_stmt *upd = nullptr;
    if (sqlite3_prepare_v2(db.handle(), "UPDATE output SET data = ? WHERE id = ?", -1, &upd, nullptr) != SQLITE_OK)
        return false;
    bool ok = true;
    for (const auto &[id, data] : changes) {
        sqlite3_bind_blob(upd, 1, data.constData(), int(data.size()), SQLITE_TRANSIENT);
        sqlite3_bind_int64(upd, 2, id);
        ok = ok && sqlite3_step(upd) == SQLITE_DONE;
        sqlite3_reset(upd);
    }
    sqlite3_finalize(upd);
    return ok;
}

} // namespace

bool redactBundleCopy(const QString &from, const QString &to, const RedactionPolicy &policy,
                      RedactionSummary *summaryOut, QString *error)
{
    RedactionSummary previous;
    {
        BundleError openError;
        auto reader = BundleReader::open(from, &openError);
        if (!reader) {
            *error = openError.message;
            return false;
        }
        previous = RedactionSummary::fromJson(
            QJsonDocument::fromJson(reader->metadata().value(QStringLiteral("redaction")).toUtf8()).object());
    }
    QString reason;
    const QString temp = bundleschema::createTemporarySibling(to, &reason);
    if (temp.isEmpty()) {
        *error = QStringLiteral("cannot write %1: %2").arg(to, reason);
        return false;
    }
    auto fail = [&](const QString &why) {
        QFile::remove(temp);
        *error = why;
        return false;
    };
    const int in = ::open(QFile::encodeName(from).constData(), O_RDONLY | O_CLOEXEC);
    if (in < 0)
        return fail(QStringLiteral("cannot read %1").arg(from));
    const bool copied = bundleschema::copyInto(in, temp, &reason);
    ::close(in);
    if (!copied)
        return fail(QStringLiteral("cannot write %1: %2").arg(to, reason));

    RedactionSummary summary;
    {
        Db db;
        if (!db.open(temp))
            return fail(QStringLiteral("cannot open the copy of %1: %2").arg(from, db.error()));
        // Freed pages are zeroed as they are freed, and VACUUM below rebuilds the file, so no old
        // value survives in the copy's unused space.
        if (!db.exec("PRAGMA secure_delete = ON") || !db.exec("BEGIN IMMEDIATE")
            || !redactOpenBundle(db, policy, &summary))
            return fail(QStringLiteral("cannot redact %1: %2").arg(from, db.error()));
        RedactionSummary total = previous;
        total.merge(summary);
        const QByteArray meta = QJsonDocument(total.toJson(policy)).toJson(QJsonDocument::Compact);
        sqlite3_stmt *st = nullptr;
        bool ok = sqlite3_prepare_v2(db.handle(), "INSERT OR REPLACE INTO meta(key, value) VALUES('redaction', ?)", -1,
                                     &st, nullptr) == SQLITE_OK;
        if (ok) {
            sqlite3_bind_text(st, 1, meta.constData(), int(meta.size()), SQLITE_TRANSIENT);
            ok = sqlite3_step(st) == SQLITE_DONE;
        }
        sqlite3_finalize(st);
        if (!ok || !db.exec("COMMIT") || !db.exec("VACUUM"))
            return fail(QStringLiteral("cannot redact %1: %2").arg(from, db.error()));
    }
    if (!bundleschema::syncFile(temp, &reason) || !bundleschema::renameOver(temp, to, &reason))
        return fail(QStringLiteral("cannot write %1: %2").arg(to, reason));
    (void)bundleschema::syncDirectoryOf(to, &reason);
    if (summaryOut)
        *summaryOut = summary;
    return true;
}

} // namespace initscope
