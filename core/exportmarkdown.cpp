// The Markdown export (docs/export.md, "Markdown"): a summary short enough to paste into a
// GitHub issue. Bundle text is escaped so that it renders as itself (markdownText), output
// goes into fenced blocks whose fence no line can close (markdownFence).
#include "export.h"
#include "exportinternal.h"

#include "bundle.h"
#include "diagnosis.h"
#include "displaytext.h"
#include "report.h"

namespace initscope {

using namespace exportdetail;

namespace {

constexpr int kTopFindings = 3;
constexpr int kMaxErrorLines = 40;  // of the whole run
constexpr int kMaxProcesses = 30;
constexpr qsizetype kTextChars = 400;
constexpr qsizetype kFixChars = 1200; // the fix is what the reader came for
constexpr qsizetype kLineChars = 300;
constexpr qsizetype kCellChars = 80;

QString runSummary(const BundleReader &reader, const Run &run)
{
    const Diagnosis diagnosis = diagnose(reader, run.id);
    const Report report = buildReport(reader, run.id, diagnosis);
    QString out;
    out += QStringLiteral("## InitScope: run %1 — %2\n\n").arg(QString::number(run.id), markdownText(run.name, kCellChars));
    out += QStringLiteral("- **Command:** %1\n").arg(run.command.isEmpty() ? QStringLiteral("unknown")
                                                                            : markdownCode(commandLine(run.command), kTextChars));
    out += QStringLiteral("- **Host:** %1, **started** %2, **duration** %3 ms\n")
               .arg(run.hostname.isEmpty() ? QStringLiteral("unknown") : markdownText(run.hostname, kCellChars),
                    wallTimeUtc(run.startRealtimeNs), formatMs(run.durationNs));
    out += QStringLiteral("- **Result:** %1\n\n").arg(describeRunEnd(run));

    out += QStringLiteral("### Diagnosis\n\n");
    for (const QString &note : diagnosis.notes)
        out += QStringLiteral("> Note: %1\n\n").arg(markdownText(note, kTextChars));
    if (diagnosis.findings.isEmpty())
        out += QStringLiteral("No departure from the expected GPU bring-up was recorded.\n\n");
    int rank = 0;
    for (const Finding &f : diagnosis.findings) {
        if (rank == kTopFindings) {
            out += QStringLiteral("%1 more finding(s): `initscope diagnose` lists them all.\n\n")
                       .arg(diagnosis.findings.size() - kTopFindings);
            break;
        }
        out += QStringLiteral("%1. **\\[%2\\] %3** (confidence %4)\n")
                   .arg(QString::number(++rank), severityName(f.severity), markdownText(f.title, kTextChars),
                        QString::number(f.confidence, 'f', 2));
        out += QStringLiteral("   - **Step:** pid %1 at %2 ms: %3\n")
                   .arg(QString::number(f.pid), formatMs(f.tsNs), markdownText(f.step, kTextChars));
        if (!f.errorLine.isEmpty())
            out += QStringLiteral("   - **Error line:** %1\n").arg(markdownCode(f.errorLine, kLineChars));
        if (!f.consequence.isEmpty())
            out += QStringLiteral("   - **Consequence:** %1\n").arg(markdownText(f.consequence, kTextChars));
        out += QStringLiteral("   - **Fix:** %1\n").arg(markdownText(f.fix, kFixChars));
    }
    if (rank > 0)
        out += QLatin1Char('\n');

    QStringList lines;
    int total = 0;
    for (const ReportProcess &rp : report.processes)
        total += int(rp.errorLines.size());
    for (const ReportProcess &rp : report.processes) {
        for (const ErrorLine &e : rp.errorLines) {
            if (lines.size() == kMaxErrorLines)
                break;
            lines.append(QStringLiteral("[pid %1 %2:%3] %4")
                             .arg(QString::number(rp.process.pid),
                                  e.line.stream == Stream::Stderr ? QStringLiteral("stderr") : QStringLiteral("stdout"),
                                  QString::number(e.line.number), display::elideBytes(e.line.bytes, kLineChars)));
        }
    }
    out += QStringLiteral("### Error lines\n\n");
    if (lines.isEmpty()) {
        out += QStringLiteral("No output line matched the error rules.\n\n");
    } else {
        out += markdownFence(lines, QStringLiteral("text"));
        if (total > kMaxErrorLines)
            out += QStringLiteral("\n%1 more error line(s): `initscope report` lists them all.\n").arg(total - kMaxErrorLines);
        out += QLatin1Char('\n');
    }

    out += QStringLiteral("### Processes\n\n| pid | process | end ms | result |\n|---:|---|---:|---|\n");
    int shown = 0;
    for (const ReportProcess &rp : report.processes) {
        if (++shown > kMaxProcesses) {
            out += QStringLiteral("\n%1 more process(es): `initscope report` lists them all.\n")
                       .arg(report.processes.size() - kMaxProcesses);
            break;
        }
        const Process &p = rp.process;
        const QString indent = QStringLiteral("· ").repeated(std::min(rp.depth, 12));
        const QString result = rp.failed ? QStringLiteral("**%1**").arg(describeEnd(p)) : describeEnd(p);
        out += QStringLiteral("| %1 | %2%3 | %4 | %5 |\n")
                   .arg(QString::number(p.pid), indent + (rp.execRow ? QStringLiteral("exec → ") : QString()),
                        markdownText(commandLine(p.argv.isEmpty() ? QStringList{p.exe} : p.argv), kCellChars),
                        p.endNs ? formatMs(*p.endNs) : QStringLiteral("–"), result);
    }
    return out + QLatin1Char('\n');
}

} // namespace

QByteArray markdownSummary(const BundleReader &reader, const ExportOptions &options, QString *error)
{
    const QList<Run> runs = runsToExport(reader, options);
    QString out;
    qint64 done = 0;
    for (const Run &r : runs) {
        out += runSummary(reader, r);
        if (options.progress)
            options.progress(++done, runs.size());
    }
    if (runs.isEmpty())
        out += QStringLiteral("The bundle holds no runs.\n\n");
    out += QStringLiteral("<sub>Exported by InitScope %1 from %2.</sub>\n")
               .arg(QStringLiteral(INITSCOPE_VERSION), markdownCode(reader.path().section(QLatin1Char('/'), -1), kCellChars));
    if (const QString failure = readFailure(reader); !failure.isEmpty() && error)
        *error = QStringLiteral("Could not read %1 to the end: %2").arg(reader.path(), failure);
    return out.toUtf8();
}

} // namespace initscope
