#include "outputmodel.h"

#include "displaytext.h"
#include "format.h"
#include "theme.h"

#include <QIODevice>

#include <algorithm>

namespace initscope::ui
{

OutputModel::OutputModel(QObject *parent) : QAbstractTableModel(parent) {}

void OutputModel::setChunks(const QList<OutputChunk> &chunks)
{
    beginResetModel();
    m_bytes.clear();
    m_lines.clear();
    m_totalBytes = 0;
    m_widestDisplayChars = 0;

    qint64 total = 0;
    for (const OutputChunk &chunk : chunks)
        total += chunk.data.size();
    m_bytes.reserve(total);
    m_totalBytes = total;

    // A line written in several pieces belongs to the time of its first piece, and only
    // its own stream continues it.
    struct Pending {
        QByteArray bytes;
        qint64 tsNs = 0;
        bool open = false;
    };
    Pending pending[2];
    auto finish = [this](QByteArray piece, qint64 tsNs, Stream stream, bool terminated) {
        if (terminated && piece.endsWith('\r'))
            piece.chop(1);
        Line line;
        line.tsNs = tsNs;
        line.offset = m_bytes.size();
        line.size = piece.size();
        line.stream = stream;
        line.terminated = terminated;
        m_bytes.append(piece);
        m_lines.push_back(line);
    };
    for (const OutputChunk &chunk : chunks) {
        Pending &p = pending[chunk.stream == Stream::Stderr ? 1 : 0];
        const QByteArray &data = chunk.data;
        qsizetype from = 0;
        while (from < data.size()) {
            const qsizetype nl = data.indexOf('\n', from);
            if (!p.open) {
                p.tsNs = chunk.tsNs;
                p.open = true;
            }
            if (nl < 0) {
                p.bytes.append(data.constData() + from, data.size() - from);
                break;
            }
            p.bytes.append(data.constData() + from, nl - from);
            finish(p.bytes, p.tsNs, chunk.stream, true);
            p.bytes.clear();
            p.open = false;
            from = nl + 1;
        }
    }
    for (int s = 0; s < 2; ++s) {
        if (pending[s].open)
            finish(pending[s].bytes, pending[s].tsNs, s ? Stream::Stderr : Stream::Stdout, false);
    }
    std::stable_sort(m_lines.begin(), m_lines.end(),
                     [](const Line &a, const Line &b) { return a.tsNs < b.tsNs; });

    for (const Line &line : m_lines) {
        // Escapes make a line up to four times wider than its bytes; an estimate is enough
        // for a scroll width, the exact text is made only when painted.
        const qint64 shown = std::min<qint64>(line.size, kElideBytes);
        const int chars = int(shown + (line.size > kElideBytes ? 24 : 0));
        m_widestDisplayChars = std::max(m_widestDisplayChars, chars);
    }
    endResetModel();
}

QByteArray OutputModel::lineBytes(int row) const
{
    if (row < 0 || size_t(row) >= m_lines.size())
        return {};
    const Line &line = m_lines[size_t(row)];
    return m_bytes.mid(line.offset, line.size);
}

Stream OutputModel::lineStream(int row) const
{
    return row >= 0 && size_t(row) < m_lines.size() ? m_lines[size_t(row)].stream : Stream::Stdout;
}

qint64 OutputModel::lineTimeNs(int row) const
{
    return row >= 0 && size_t(row) < m_lines.size() ? m_lines[size_t(row)].tsNs : 0;
}

int OutputModel::lineCount(Stream stream) const
{
    return int(std::count_if(m_lines.begin(), m_lines.end(),
                             [stream](const Line &l) { return l.stream == stream; }));
}

bool OutputModel::writeTo(QIODevice *device, const QList<int> &rows) const
{
    auto writeLine = [&](const Line &line) {
        if (device->write(m_bytes.constData() + line.offset, line.size) != line.size)
            return false;
        return !line.terminated || device->write("\n", 1) == 1;
    };
    if (rows.isEmpty()) {
        for (const Line &line : m_lines) {
            if (!writeLine(line))
                return false;
        }
        return true;
    }
    for (int row : rows) {
        if (row < 0 || size_t(row) >= m_lines.size() || !writeLine(m_lines[size_t(row)]))
            return false;
    }
    return true;
}

QString OutputModel::displayText(const Line &line) const
{
    qsizetype omitted = 0;
    QString text = safeText(m_bytes.constData() + line.offset, line.size, kElideBytes, &omitted);
    if (omitted > 0)
        text += display::moreBytes(omitted);
    return text;
}

int OutputModel::rowCount(const QModelIndex &parent) const
{
    return parent.isValid() ? 0 : int(m_lines.size());
}

int OutputModel::columnCount(const QModelIndex &parent) const
{
    return parent.isValid() ? 0 : ColumnCount;
}

QVariant OutputModel::data(const QModelIndex &index, int role) const
{
    if (!checkIndex(index, CheckIndexOption::IndexIsValid | CheckIndexOption::ParentIsInvalid))
        return {};
    const Line &line = m_lines[size_t(index.row())];
    const bool isErr = line.stream == Stream::Stderr;
    switch (role) {
    case Qt::DisplayRole:
        switch (index.column()) {
        case TimeColumn:
            return formatMs(line.tsNs);
        case StreamColumn:
            return isErr ? QStringLiteral("err") : QStringLiteral("out");
        case TextColumn:
            return displayText(line);
        }
        break;
    case Qt::ToolTipRole:
        if (index.column() == TextColumn) {
            qsizetype omitted = 0;
            QString tip =
                safeText(m_bytes.constData() + line.offset, line.size, kToolTipBytes, &omitted);
            if (omitted > 0)
                tip += QStringLiteral(
                           " …\n\n(%1 more bytes; Copy or Save Output… gives the whole line)")
                           .arg(omitted);
            if (!line.terminated)
                tip += QStringLiteral("\n(no newline at the end of the output)");
            return asToolTip(tip);
        }
        if (index.column() == StreamColumn)
            return isErr ? QStringLiteral("standard error") : QStringLiteral("standard output");
        return QStringLiteral("%1 ms after the run started").arg(formatMs(line.tsNs));
    case Qt::ForegroundRole:
        if (index.column() == TimeColumn)
            return theme::muted();
        if (isErr && index.column() == StreamColumn)
            return theme::stderrText();
        break;
    case Qt::BackgroundRole:
        // Many programs log everything to stderr; a tint marks the stream without making
        // every line look like an error.
        if (isErr)
            return theme::stderrBackground();
        break;
    case Qt::TextAlignmentRole:
        if (index.column() == TimeColumn)
            return QVariant::fromValue(Qt::AlignRight | Qt::AlignVCenter);
        break;
    case FullTextRole:
        return safeText(m_bytes.constData() + line.offset, line.size);
    case StreamRole:
        return int(line.stream);
    case ByteSizeRole:
        return line.size;
    }
    return {};
}

QVariant OutputModel::headerData(int section, Qt::Orientation orientation, int role) const
{
    if (orientation != Qt::Horizontal || role != Qt::DisplayRole)
        return {};
    switch (section) {
    case TimeColumn:
        return QStringLiteral("Time (ms)");
    case StreamColumn:
        return QStringLiteral("Stream");
    case TextColumn:
        return QStringLiteral("Text");
    }
    return {};
}

} // namespace initscope::ui
