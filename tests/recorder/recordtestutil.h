#pragma once

#include "bundle.h"

#include <QByteArray>
#include <QString>
#include <QStringList>

#include <memory>
#include <ostream>

// Readable QString values in assertion messages.
inline void PrintTo(const QString &s, std::ostream *os)
{
    *os << '"' << s.toStdString() << '"';
}

struct CliRun {
    int exitCode = -1;
    QByteArray out;
    QByteArray err;
};

// Runs build/bin/initscope with args; fails the test if it does not end within timeoutMs.
CliRun runInitscope(const QStringList &args, int timeoutMs = 60000);
QString fixture(const QString &name);
QString binary(const QString &name);

// Opens a bundle the test just recorded; nullptr (and a test failure) if it cannot.
std::unique_ptr<initscope::BundleReader> openBundle(const QString &path);

// All output of one process on one stream, concatenated.
QByteArray streamOf(const initscope::BundleReader &reader, qint64 processId,
                    initscope::Stream stream);
bool processAlive(qint64 pid);
