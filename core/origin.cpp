#include "origin.h"

#include "bundle.h"
#include "bundleschema.h"

#include <QDir>
#include <QFile>
#include <QMessageAuthenticationCode>
#include <QRandomGenerator>
#include <QStandardPaths>

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

namespace initscope {

namespace {

constexpr int kKeyBytes = 32;

QString keyPath()
{
    QString base = QStandardPaths::writableLocation(QStandardPaths::GenericDataLocation);
    if (base.isEmpty())
        return {};
    return base + QStringLiteral("/initscope/origin.key");
}

QByteArray readKey(const QString &path)
{
    QFile f(path);
    if (!f.open(QIODevice::ReadOnly))
        return {};
    // A key others could read would let them mark bundles as recorded here.
    if (f.permissions() & (QFileDevice::ReadGroup | QFileDevice::ReadOther | QFileDevice::WriteGroup
                           | QFileDevice::WriteOther))
        return {};
    const QByteArray key = f.read(kKeyBytes + 1);
    return key.size() == kKeyBytes ? key : QByteArray();
}

} // namespace

QByteArray originKey()
{
    const QString path = keyPath();
    if (path.isEmpty())
        return {};
    QByteArray key = readKey(path);
    if (!key.isEmpty())
        return key;
    const QString dir = QFileInfo(path).absolutePath();
    if (!QDir().mkpath(dir))
        return {};
    (void)::chmod(QFile::encodeName(dir).constData(), 0700);
    // Written to a private temporary name and linked into place, so that two InitScopes making
    // the key at once agree on one.
    key.resize(kKeyBytes);
    QRandomGenerator::system()->fillRange(reinterpret_cast<quint32 *>(key.data()), kKeyBytes / 4);
    const QByteArray temp = QFile::encodeName(path + QStringLiteral(".%1").arg(::getpid()));
    const int fd = ::open(temp.constData(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
    if (fd < 0)
        return {};
    const bool written = ::write(fd, key.constData(), size_t(key.size())) == key.size() && ::fsync(fd) == 0;
    ::close(fd);
    if (written)
        (void)::link(temp.constData(), QFile::encodeName(path).constData());
    ::unlink(temp.constData());
    return readKey(path);
}

QString originMetadataKey(qint64 runId)
{
    return QStringLiteral("origin.%1").arg(runId);
}

QString originMark(const Run &run)
{
    const QByteArray key = originKey();
    if (key.isEmpty())
        return {};
    QMessageAuthenticationCode mac(QCryptographicHash::Sha256, key);
    mac.addData("initscope-origin-1");
    for (const QByteArray &part : {run.hostname.toUtf8(), bundleschema::commandToJson(run.command).toUtf8(),
                                   run.configJson}) {
        // Lengths first, so that no two different runs give the same bytes.
        mac.addData(QByteArray::number(part.size()) + ':');
        mac.addData(part);
    }
    return QString::fromLatin1(mac.result().toHex());
}

bool recordedHere(const BundleReader &reader, const Run &run)
{
    const QString stored = reader.metadata().value(originMetadataKey(run.id));
    if (stored.isEmpty())
        return false;
    const QString expected = originMark(run);
    return !expected.isEmpty() && stored == expected;
}

} // namespace initscope
