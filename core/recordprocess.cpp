#include "recordprocess.h"

#include <QFileInfo>
#include <QRegularExpression>

namespace initscope {

bool RecordProcess::startConfig(const QString &configPath, const QString &bundlePath)
{
    m_matrix = false;
    const QFileInfo config(configPath);
    return startCli({QStringLiteral("record"), QStringLiteral("--config"), config.absoluteFilePath(),
                     QStringLiteral("-o"), QFileInfo(bundlePath).absoluteFilePath()},
                    config.absolutePath(), QStringLiteral("a recording is already running"));
}

bool RecordProcess::startMatrix(const QString &matrixPath, const QString &outputDir)
{
    m_matrix = true;
    const QFileInfo matrix(matrixPath);
    return startCli({QStringLiteral("record"), QStringLiteral("--matrix"), matrix.absoluteFilePath(),
                     QStringLiteral("-o"), QFileInfo(outputDir).absoluteFilePath()},
                    matrix.absolutePath(), QStringLiteral("a recording is already running"));
}

void RecordProcess::line(const QString &text)
{
    if (m_matrix) {
        // `[2/6] incident`: the CLI's progress (docs/run-config.md, "Matrices").
        static const QRegularExpression progress(QStringLiteral("^\\[(\\d+)/(\\d+)\\] (.*)$"));
        const QRegularExpressionMatch m = progress.match(text);
        if (m.hasMatch())
            Q_EMIT variationStarted(m.captured(1).toInt() - 1, m.captured(2).toInt(), m.captured(3));
    }
    CliProcess::line(text);
}

} // namespace initscope
