// Everything a process wrote, both streams interleaved by time, one row per line. Lines are
// stitched across chunk boundaries per stream and kept as bytes in one buffer; text is made
// only for rows that are painted, and a long line shows its first kElideBytes bytes followed
// by "… (N more bytes)", so a single 1 MiB line or a flood of many MB stays responsive.
#pragma once

#include "data.h"

#include <QAbstractTableModel>
#include <QByteArray>
#include <QList>

#include <vector>

class QIODevice;

namespace initscope::ui
{

class OutputModel : public QAbstractTableModel
{
    Q_OBJECT
public:
    enum Column { TimeColumn, StreamColumn, TextColumn, ColumnCount };
    enum Role {
        FullTextRole = Qt::UserRole + 1, // the whole line, never elided (safe text)
        StreamRole,                      // int(Stream)
        ByteSizeRole,                    // qint64, bytes of the line without its newline
    };
    static constexpr qsizetype kElideBytes = 2000;
    static constexpr qsizetype kToolTipBytes = 8192;

    explicit OutputModel(QObject *parent = nullptr);

    // chunks in the order they were read, as BundleReader::output() returns them.
    void setChunks(const QList<OutputChunk> &chunks);

    QByteArray lineBytes(int row) const;
    Stream lineStream(int row) const;
    qint64 lineTimeNs(int row) const;
    qint64 totalBytes() const { return m_totalBytes; }
    int lineCount(Stream stream) const;
    // Characters of the widest displayed line, for a view that scrolls instead of eliding.
    int widestDisplayChars() const { return m_widestDisplayChars; }
    // Writes the rows as raw bytes, one line each, in display order. Streams are not marked:
    // the result is what a terminal would have shown.
    bool writeTo(QIODevice *device, const QList<int> &rows = {}) const;

    int rowCount(const QModelIndex &parent = {}) const override;
    int columnCount(const QModelIndex &parent = {}) const override;
    QVariant data(const QModelIndex &index, int role = Qt::DisplayRole) const override;
    QVariant headerData(int section, Qt::Orientation orientation,
                        int role = Qt::DisplayRole) const override;

private:
    struct Line {
        qint64 tsNs = 0;
        qint64 offset = 0; // into m_bytes
        qint64 size = 0;
        Stream stream = Stream::Stdout;
        bool terminated = true; // ended by '\n' rather than by the end of the output
    };
    QString displayText(const Line &line) const;

    QByteArray m_bytes;
    std::vector<Line> m_lines;
    qint64 m_totalBytes = 0;
    int m_widestDisplayChars = 0;
};

} // namespace initscope::ui
