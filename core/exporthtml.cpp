// The HTML export (docs/export.md, "HTML"): one file to attach to a support ticket. Inline CSS,
// the timeline as inline SVG, no script, no fonts, no images, nothing fetched: a
// Content-Security-Policy of default-src 'none' says so to the browser too. Built from
// buildReport(), diagnose(), the timeline index and the device report.
#include "export.h"
#include "exportinternal.h"

#include "bundle.h"
#include "deviceview.h"
#include "diagnosis.h"
#include "displaytext.h"
#include "report.h"

#include <QDateTime>
#include <QHash>

namespace initscope {

using namespace exportdetail;

namespace {

constexpr qsizetype kCellChars = 300;     // a table cell of bundle text
constexpr qsizetype kLineChars = 2000;    // an error line
constexpr qsizetype kCommandChars = 2000;
constexpr int kMaxErrorLines = 200;       // per process
constexpr int kMaxLoads = 1000;           // library loads of a run

constexpr char kStyle[] = R"(
body{font:14px/1.45 system-ui,-apple-system,"Segoe UI",Roboto,sans-serif;margin:0 auto;max-width:1100px;padding:16px 24px;color:#1f2328;background:#fff}
h1{font-size:22px;margin:8px 0}h2{font-size:19px;border-bottom:2px solid #d0d7de;padding-bottom:4px;margin-top:32px}
h3{font-size:16px;margin:22px 0 8px}h4{font-size:15px;margin:0 0 6px}
code,pre,.mono{font-family:ui-monospace,"SFMono-Regular",Menlo,Consolas,monospace;font-size:12.5px}
pre{background:#f6f8fa;padding:8px;overflow-x:auto;white-space:pre-wrap;word-break:break-all;margin:4px 0}
table{border-collapse:collapse;margin:6px 0 12px;width:100%}th,td{border:1px solid #d0d7de;padding:3px 6px;text-align:left;vertical-align:top}
th{background:#f6f8fa}td.num{text-align:right;white-space:nowrap}table.facts th{width:11em}
td.text{font-family:ui-monospace,Menlo,Consolas,monospace;font-size:12.5px;word-break:break-all}
.finding{border:1px solid #d0d7de;border-left:6px solid #9a6700;border-radius:4px;padding:8px 12px;margin:10px 0}
.finding.root{border-left-color:#cf222e}.finding.harmless{border-left-color:#8c959f}
.finding dl{display:grid;grid-template-columns:9em 1fr;gap:2px 10px;margin:6px 0}.finding dt{font-weight:600}.finding dd{margin:0}
.sev{font-size:12px;font-weight:600;text-transform:uppercase;padding:1px 6px;border-radius:8px;background:#fff8c5;color:#7d4e00}
.root .sev{background:#ffebe9;color:#a40e26}.harmless .sev{background:#eaeef2;color:#57606a}
.failed{color:#cf222e;font-weight:600}.muted{color:#57606a}.note{background:#fff8c5;padding:6px 10px;border-radius:4px}
.scroll{overflow-x:auto}svg.timeline{font:11px system-ui,sans-serif;background:#fff}
svg .band{fill:#fff}svg .band.odd{fill:#f6f8fa}svg .tick{stroke:#d8dee4;stroke-width:1}
svg .ticklabel{fill:#57606a;text-anchor:middle}svg .lanelabel{fill:#1f2328}svg .process .lanelabel{font-weight:600}
svg .life{fill:#8c959f}svg .life.failed{fill:#cf222e}svg .life.unknown{fill:#d0d7de}
svg .crash{stroke:#cf222e;stroke-width:2.5;fill:none}
svg .finding line{stroke:#9a6700;stroke-width:1.5;stroke-dasharray:4 3}svg .finding circle{fill:#9a6700}
svg .finding.root line{stroke:#cf222e}svg .finding.root circle{fill:#cf222e}
svg .finding text{fill:#fff;font-weight:700;text-anchor:middle}
.legend span{display:inline-block;margin-right:14px}.legend i{display:inline-block;width:12px;height:10px;margin-right:4px;vertical-align:middle}
details{margin:6px 0}summary{cursor:pointer}
footer{margin-top:40px;color:#57606a;font-size:12px;border-top:1px solid #d0d7de;padding-top:8px}
)";

QString row(const QStringList &cells, const QStringList &classes = {})
{
    QString out = QStringLiteral("<tr>");
    for (qsizetype i = 0; i < cells.size(); ++i) {
        const QString cls = classes.value(i);
        out += cls.isEmpty() ? QStringLiteral("<td>") : QStringLiteral("<td class=\"%1\">").arg(cls);
        out += cells[i] + QStringLiteral("</td>");
    }
    return out + QStringLiteral("</tr>\n");
}

QString headerRow(const QStringList &names)
{
    QString out = QStringLiteral("<tr>");
    for (const QString &n : names)
        out += QStringLiteral("<th>") + n + QStringLiteral("</th>");
    return out + QStringLiteral("</tr>\n");
}

QString streamName(Stream s)
{
    return s == Stream::Stderr ? QStringLiteral("stderr") : QStringLiteral("stdout");
}

class HtmlRun
{
public:
    HtmlRun(const BundleReader &reader, const Run &run)
        : m_reader(reader), m_diagnosis(diagnose(reader, run.id)), m_report(buildReport(reader, run.id, m_diagnosis))
    {
        for (const ReportProcess &rp : std::as_const(m_report.processes))
            m_labels.insert(rp.process.id, QStringLiteral("%1 (%2)").arg(programName(rp.process)).arg(rp.process.pid));
    }

    QString render() const
    {
        return header() + diagnosis() + timeline() + processes() + errorLines() + failedSearches() +
               lastEvents() + libraryLoads() + device();
    }

private:
    QString label(qint64 processId) const
    {
        return html(m_labels.value(processId, QStringLiteral("process %1").arg(processId)));
    }
    QString header() const;
    QString diagnosis() const;
    QString timeline() const;
    QString processes() const;
    QString errorLines() const;
    QString failedSearches() const;
    QString lastEvents() const;
    QString libraryLoads() const;
    QString device() const;

    const BundleReader &m_reader;
    Diagnosis m_diagnosis; // before m_report, which is built with it
    Report m_report;
    QHash<qint64, QString> m_labels;
};

QString HtmlRun::header() const
{
    const Run &run = m_report.run;
    QString out = QStringLiteral("<section class=\"run\" id=\"run-%1\">\n<h2>Run %1: %2</h2>\n<table class=\"facts\">\n")
                      .arg(QString::number(run.id), htmlElided(run.name, kCellChars));
    auto fact = [&out](const QString &name, const QString &valueHtml) {
        out += QStringLiteral("<tr><th>%1</th><td>%2</td></tr>\n").arg(name, valueHtml);
    };
    fact(QStringLiteral("Command"), QStringLiteral("<code>%1</code>").arg(htmlElided(commandLine(run.command), kCommandChars)));
    fact(QStringLiteral("Host"), run.hostname.isEmpty() ? QStringLiteral("<span class=\"muted\">unknown</span>")
                                                        : htmlElided(run.hostname, kCellChars));
    fact(QStringLiteral("Started"), html(wallTimeUtc(run.startRealtimeNs)));
    fact(QStringLiteral("Duration"), QStringLiteral("%1 ms").arg(formatMs(run.durationNs)));
    const bool bad = run.timedOut || run.cancelled || run.exitSignal || (run.exitCode && *run.exitCode != 0);
    fact(QStringLiteral("Result"), QStringLiteral("<span class=\"%1\">%2</span>")
                                       .arg(bad ? QStringLiteral("failed") : QString(), html(describeRunEnd(run))));
    if (!run.recorderVersion.isEmpty())
        fact(QStringLiteral("Recorder"), htmlElided(run.recorderVersion, kCellChars));
    fact(QStringLiteral("Processes"), QString::number(m_report.processes.size()));
    return out + QStringLiteral("</table>\n");
}

QString HtmlRun::diagnosis() const
{
    QString out = QStringLiteral("<h3 id=\"diagnosis-%1\">Diagnosis</h3>\n").arg(m_report.run.id);
    for (const QString &note : m_diagnosis.notes)
        out += QStringLiteral("<p class=\"note\">%1</p>\n").arg(htmlElided(note, kLineChars));
    if (m_diagnosis.findings.isEmpty())
        return out + QStringLiteral("<p>No departure from the expected GPU bring-up was recorded.</p>\n");
    int rank = 0;
    for (const Finding &f : m_diagnosis.findings) {
        const QString cls = f.severity == Severity::RootCause  ? QStringLiteral("finding root")
                            : f.severity == Severity::Harmless ? QStringLiteral("finding harmless")
                                                               : QStringLiteral("finding");
        out += QStringLiteral("<div class=\"%1\">\n<h4>%2. <span class=\"sev\">%3</span> %4</h4>\n")
                   .arg(cls, QString::number(++rank), html(severityName(f.severity)), htmlElided(f.title, kLineChars));
        out += QStringLiteral("<dl>\n");
        auto item = [&out](const QString &name, const QString &valueHtml) {
            if (!valueHtml.isEmpty())
                out += QStringLiteral("<dt>%1</dt><dd>%2</dd>\n").arg(name, valueHtml);
        };
        item(QStringLiteral("Step"), QStringLiteral("%1 at %2 ms: %3")
                                         .arg(label(f.processId), formatMs(f.tsNs), htmlElided(f.step, kLineChars)));
        if (!f.errorLine.isEmpty())
            item(QStringLiteral("Error line"), QStringLiteral("<code>%1:%2</code> <pre>%3</pre>")
                                                   .arg(streamName(f.errorStream), QString::number(f.errorLineNumber),
                                                        htmlElided(f.errorLine, kLineChars)));
        if (!f.succeededBefore.isEmpty())
            item(QStringLiteral("Succeeded before"),
                 htmlElided(f.succeededBefore.join(QStringLiteral(", ")), kLineChars));
        item(QStringLiteral("Consequence"), htmlElided(f.consequence, kLineChars));
        item(QStringLiteral("Fix"), QStringLiteral("<strong>%1</strong>").arg(htmlElided(f.fix, kLineChars)));
        item(QStringLiteral("Confidence"), QString::number(f.confidence, 'f', 2));
        item(QStringLiteral("Class"), QStringLiteral("<code>%1</code>").arg(html(f.id)));
        out += QStringLiteral("</dl>\n");
        if (!f.evidence.isEmpty()) {
            out += QStringLiteral("<table class=\"evidence\">\n") +
                   headerRow({QStringLiteral("ms"), QStringLiteral("evidence"), QStringLiteral("process"), QStringLiteral("what")});
            for (const Evidence &e : f.evidence) {
                const QString where = e.kind == Evidence::Kind::OutputLine
                                          ? QStringLiteral("%1 %2:%3").arg(evidenceKindName(e.kind), streamName(e.stream)).arg(e.line)
                                          : QStringLiteral("%1 #%2").arg(evidenceKindName(e.kind)).arg(e.id);
                out += row({formatMs(e.tsNs), html(where), label(e.processId), htmlElided(e.text, kLineChars)},
                           {QStringLiteral("num"), QString(), QString(), QStringLiteral("text")});
            }
            out += QStringLiteral("</table>\n");
        }
        out += QStringLiteral("</div>\n");
    }
    return out;
}

QString HtmlRun::timeline() const
{
    QList<Process> procs;
    for (const ReportProcess &rp : m_report.processes)
        procs.append(rp.process);
    QString note;
    const QString svg = timelineSvg(m_reader, m_report.run, procs, m_diagnosis, &note);
    QString out = QStringLiteral("<h3>Timeline</h3>\n");
    if (!svg.isEmpty()) {
        out += QStringLiteral("<div class=\"scroll\">\n") + svg + QStringLiteral("</div>\n");
        out += QStringLiteral("<p class=\"legend muted\">");
        const QList<QPair<QString, QString>> legend = {
            {QStringLiteral("#4e79a7"), QStringLiteral("driver calls")}, {QStringLiteral("#59a14f"), QStringLiteral("runtime calls")},
            {QStringLiteral("#b07aa1"), QStringLiteral("NVML calls")},   {QStringLiteral("#f28e2b"), QStringLiteral("loader")},
            {QStringLiteral("#8c8c8c"), QStringLiteral("output")},       {QStringLiteral("#76b7b2"), QStringLiteral("process events")},
            {QStringLiteral("#d62728"), QStringLiteral("failed, unfinished or crashed")}};
        for (const auto &[colour, what] : legend)
            out += QStringLiteral("<span><i style=\"background:%1\"></i>%2</span>").arg(colour, what);
        out += QStringLiteral("<span>numbered lines: findings of the diagnosis</span></p>\n");
    }
    if (!note.isEmpty())
        out += QStringLiteral("<p class=\"note\">%1</p>\n").arg(htmlElided(note, kLineChars));
    return out;
}

QString HtmlRun::processes() const
{
    QString out = QStringLiteral("<h3>Processes</h3>\n<table class=\"processes\">\n") +
                  headerRow({QStringLiteral("pid"), QStringLiteral("process"), QStringLiteral("start ms"),
                             QStringLiteral("end ms"), QStringLiteral("result"), QStringLiteral("output"),
                             QStringLiteral("GPU calls")});
    for (const ReportProcess &rp : m_report.processes) {
        const Process &p = rp.process;
        // Depth as indentation; the tree's structure is in the order of the rows.
        const QString indent = QStringLiteral("&nbsp;&nbsp;").repeated(std::min(rp.depth, 24));
        const QString image = indent + (rp.execRow ? QStringLiteral("exec → ") : QString()) +
                              QStringLiteral("<code>%1</code>").arg(htmlElided(commandLine(p.argv.isEmpty() ? QStringList{p.exe} : p.argv), kCellChars));
        out += row({QString::number(p.pid), image, formatMs(p.startNs), p.endNs ? formatMs(*p.endNs) : QStringLiteral("–"),
                    QStringLiteral("<span class=\"%1\">%2</span>").arg(rp.failed ? QStringLiteral("failed") : QString(), html(describeEnd(p))),
                    QStringLiteral("%1 lines out, %2 err").arg(rp.stdoutLines).arg(rp.stderrLines),
                    rp.gpuCallCount ? QString::number(rp.gpuCallCount) : QString()},
                   {QStringLiteral("num"), QString(), QStringLiteral("num"), QStringLiteral("num"), QString(), QString(),
                    QStringLiteral("num")});
    }
    return out + QStringLiteral("</table>\n");
}

QString HtmlRun::errorLines() const
{
    QString out = QStringLiteral("<h3>Error lines</h3>\n");
    bool any = false;
    for (const ReportProcess &rp : m_report.processes) {
        if (rp.errorLines.isEmpty())
            continue;
        any = true;
        out += QStringLiteral("<h4>%1 — %2</h4>\n<table class=\"errors\">\n").arg(label(rp.process.id), html(describeEnd(rp.process)));
        out += headerRow({QStringLiteral("line"), QStringLiteral("ms"), QStringLiteral("text")});
        int shown = 0;
        for (const ErrorLine &e : rp.errorLines) {
            if (++shown > kMaxErrorLines) {
                out += QStringLiteral("<tr><td colspan=\"3\" class=\"muted\">%1 more error lines; initscope report --json lists them all</td></tr>\n")
                           .arg(rp.errorLines.size() - kMaxErrorLines);
                break;
            }
            out += row({QStringLiteral("%1:%2").arg(streamName(e.line.stream)).arg(e.line.number), formatMs(e.line.tsNs),
                        htmlBytes(e.line.bytes, kLineChars) +
                            (e.utf8Valid ? QString() : QStringLiteral(" <span class=\"muted\">[not valid UTF-8]</span>"))},
                       {QStringLiteral("mono"), QStringLiteral("num"), QStringLiteral("text")});
        }
        out += QStringLiteral("</table>\n");
    }
    if (!any)
        out += QStringLiteral("<p class=\"muted\">No output line matched the error rules.</p>\n");
    return out;
}

QString HtmlRun::failedSearches() const
{
    QString out;
    for (const ReportProcess &rp : m_report.processes) {
        for (const LibSearch &s : rp.failedSearches) {
            out += QStringLiteral("<details><summary>%1 at %2 ms: <code>%3</code> not found (%4 paths tried)</summary>\n<table>\n")
                       .arg(label(rp.process.id), formatMs(s.tsNs), htmlElided(s.name, kCellChars), QString::number(s.steps.size()));
            out += headerRow({QStringLiteral("tried"), QStringLiteral("from"), QStringLiteral("exists")});
            for (const LibSearchStep &step : s.steps)
                out += row({htmlElided(step.path, kCellChars), html(searchOriginName(step.origin)),
                            step.exists == 1 ? QStringLiteral("yes") : step.exists == 0 ? QStringLiteral("no") : QStringLiteral("?")},
                           {QStringLiteral("text")});
            out += QStringLiteral("</table></details>\n");
        }
    }
    return out.isEmpty() ? out : QStringLiteral("<h3>Libraries not found</h3>\n") + out;
}

QString HtmlRun::lastEvents() const
{
    QString out;
    for (const ReportProcess &rp : m_report.processes) {
        if (!rp.failed)
            continue;
        out += QStringLiteral("<h4>%1 — %2</h4>\n").arg(label(rp.process.id), html(describeEnd(rp.process)));
        if (rp.lastEvents.isEmpty()) {
            out += QStringLiteral("<p class=\"muted\">No events recorded.</p>\n");
            continue;
        }
        out += QStringLiteral("<table class=\"events\">\n") +
               headerRow({QStringLiteral("ms"), QStringLiteral("thread"), QStringLiteral("kind"), QStringLiteral("name"),
                          QStringLiteral("details")});
        for (const Event &e : rp.lastEvents) {
            const bool unfinished = e.payload.contains("\"unfinished\":true");
            out += row({formatMs(e.tsNs), QString::number(e.tid), html(e.kind),
                        htmlElided(e.name, kCellChars) + (unfinished ? QStringLiteral(" <span class=\"failed\">(unfinished)</span>") : QString()),
                        html(eventSummary(e.payload, kCellChars))},
                       {QStringLiteral("num"), QStringLiteral("num"), QString(), QStringLiteral("text"), QStringLiteral("text")});
        }
        out += QStringLiteral("</table>\n");
    }
    return out.isEmpty() ? out : QStringLiteral("<h3>Last events before each failure</h3>\n") + out;
}

QString HtmlRun::libraryLoads() const
{
    const QList<LibLoad> loads = m_reader.libLoads(m_report.run.id);
    QString out = QStringLiteral("<h3>Library loads</h3>\n");
    if (loads.isEmpty())
        return out + QStringLiteral("<p class=\"muted\">No library loads were recorded.</p>\n");
    out += QStringLiteral("<details%1><summary>%2 objects loaded</summary>\n<table class=\"loads\">\n")
               .arg(loads.size() <= 40 ? QStringLiteral(" open") : QString())
               .arg(loads.size());
    out += headerRow({QStringLiteral("ms"), QStringLiteral("process"), QStringLiteral("path"), QStringLiteral("SONAME")});
    int shown = 0;
    for (const LibLoad &l : loads) {
        if (++shown > kMaxLoads) {
            out += QStringLiteral("<tr><td colspan=\"4\" class=\"muted\">%1 more loads</td></tr>\n").arg(loads.size() - kMaxLoads);
            break;
        }
        out += row({formatMs(l.tsNs), label(l.processId), htmlElided(l.path, kCellChars), htmlElided(l.soname, kCellChars)},
                   {QStringLiteral("num"), QString(), QStringLiteral("text"), QStringLiteral("text")});
    }
    return out + QStringLiteral("</table></details>\n");
}

QString HtmlRun::device() const
{
    const DeviceReport report =
        buildDeviceReport(storedMachineFacts(m_reader, m_report.run.id), &m_reader, m_report.run.id);
    if (report.rows.isEmpty() && report.findings.isEmpty())
        return {};
    QString out = QStringLiteral("<h3>Device facts</h3>\n");
    for (const DeviceFinding &f : report.findings)
        out += QStringLiteral("<p class=\"note\"><strong>%1:</strong> %2. %3 <em>%4</em></p>\n")
                   .arg(html(f.severity), htmlElided(f.title, kCellChars), htmlElided(f.detail, kLineChars),
                        htmlElided(f.fix, kLineChars));
    if (!report.rows.isEmpty()) {
        QStringList head{QStringLiteral("property")};
        for (const QString &s : report.sources)
            head.append(html(s));
        out += QStringLiteral("<table class=\"device\">\n") + headerRow(head);
        for (const DeviceRow &r : report.rows) {
            QStringList cells{html(r.property) + (r.contradiction ? QStringLiteral(" <span class=\"failed\">≠</span>") : QString())};
            for (const QString &s : report.sources)
                cells.append(htmlElided(r.cells.value(s).value, kCellChars));
            out += row(cells);
        }
        out += QStringLiteral("</table>\n");
    }
    return out;
}

} // namespace

QByteArray htmlReport(const BundleReader &reader, const ExportOptions &options, QString *error)
{
    const QList<Run> runs = runsToExport(reader, options);
    const QString file = reader.path().section(QLatin1Char('/'), -1);
    QString out = QStringLiteral(
                      "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n"
                      "<meta http-equiv=\"Content-Security-Policy\" content=\"default-src 'none'; style-src 'unsafe-inline'\">\n"
                      "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n"
                      "<meta name=\"generator\" content=\"InitScope %1\">\n<title>InitScope report: %2</title>\n<style>")
                      .arg(QStringLiteral(INITSCOPE_VERSION), htmlElided(file, kCellChars));
    out += QLatin1String(kStyle);
    out += QStringLiteral("</style>\n</head>\n<body>\n<header>\n<h1>InitScope report</h1>\n<p class=\"muted\">Bundle <code>%1</code>, format version %2, %3 run(s) exported.</p>\n")
               .arg(htmlElided(reader.path(), kCommandChars), QString::number(reader.formatVersion()), QString::number(runs.size()));
    if (runs.size() > 1) {
        out += QStringLiteral("<ul>\n");
        for (const Run &r : runs)
            out += QStringLiteral("<li><a href=\"#run-%1\">Run %1: %2</a></li>\n").arg(QString::number(r.id), htmlElided(r.name, kCellChars));
        out += QStringLiteral("</ul>\n");
    }
    out += QStringLiteral("</header>\n");
    if (runs.isEmpty())
        out += QStringLiteral("<p>The bundle holds no runs.</p>\n");
    qint64 done = 0;
    for (const Run &r : runs) {
        out += HtmlRun(reader, r).render() + QStringLiteral("</section>\n");
        if (options.progress)
            options.progress(++done, runs.size());
    }
    out += QStringLiteral("<footer>Exported by InitScope %1 on %2. Open the bundle itself with <code>initscope-gui</code> "
                          "or <code>initscope report</code> for everything it holds.</footer>\n</body>\n</html>\n")
               .arg(QStringLiteral(INITSCOPE_VERSION),
                    QDateTime::currentDateTimeUtc().toString(QStringLiteral("yyyy-MM-dd HH:mm 'UTC'")));
    if (const QString failure = readFailure(reader); !failure.isEmpty() && error)
        *error = QStringLiteral("Could not read %1 to the end: %2").arg(reader.path(), failure);
    return out.toUtf8();
}

} // namespace initscope
