// Exports of a bundle for people who do not run InitScope (docs/export.md): a Chrome
// trace-event JSON file that Perfetto UI and chrome://tracing open, a self-contained HTML
// report for a support ticket, and a Markdown summary to paste into an issue. Every one is
// made from what the report, the diagnosis and the timeline already read (report.h,
// diagnosis.h, timelinesource.h, eventscan.h), so an export never says something the CLI or
// the GUI would not. Shared by `initscope export` and the GUI's File › Export.
#pragma once

#include <QByteArray>
#include <QList>
#include <QString>
#include <QStringView>

#include <functional>
#include <optional>

class QIODevice;

namespace initscope {

class BundleReader;

enum class ExportFormat {
    ChromeTrace, // Trace Event Format, JSON object form
    Html,        // one file, no external resources, no script
    Markdown,    // GitHub-flavoured Markdown
};

inline constexpr int kChromeTraceExportVersion = 1;

// "chrome", "html", "markdown".
QString exportFormatName(ExportFormat format);
// The format a name on the command line means: chrome (also "json", "trace", "perfetto"),
// html, markdown (also "md"); case-insensitive.
std::optional<ExportFormat> exportFormatFromName(QStringView name);
// The format a file name asks for by its suffix: .json, .html/.htm, .md/.markdown.
std::optional<ExportFormat> exportFormatForPath(QStringView path);
// The suffix written by default, without the dot: "json", "html", "md".
QString exportSuffix(ExportFormat format);

struct ExportOptions {
    // The runs to export, in this order; empty: every run of the bundle, in bundle order.
    QList<qint64> runIds;
    // Called from the exporting thread now and then with the work done so far and the total
    // (events for the Chrome trace, runs for the others), for a progress line.
    std::function<void(qint64 done, qint64 total)> progress;
};

// Writes the export to out, which must be open for writing. The Chrome trace is written as it
// is made (a run of a million calls never sits in memory as one document). Returns false with
// *error (one sentence naming the file) when the bundle could not be read to the end or out
// refused the bytes; what was written then is incomplete.
bool writeExport(ExportFormat format, const BundleReader &reader, const ExportOptions &options,
                 QIODevice *out, QString *error);

// The same, in memory. Empty with *error set on failure.
QByteArray exportBundle(ExportFormat format, const BundleReader &reader,
                        const ExportOptions &options = {}, QString *error = nullptr);

// The three exports one by one (writeExport dispatches to them).
bool writeChromeTrace(const BundleReader &reader, const ExportOptions &options, QIODevice *out,
                      QString *error);
QByteArray htmlReport(const BundleReader &reader, const ExportOptions &options, QString *error);
QByteArray markdownSummary(const BundleReader &reader, const ExportOptions &options,
                           QString *error);

} // namespace initscope
