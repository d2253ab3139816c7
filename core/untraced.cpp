#include "untraced.h"

#include "launcher.h"
#include "rawformat.h"
#include "rawio.h"
#include "recording.h"

#include <QFile>
#include <QJsonArray>

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <elf.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

namespace initscope {

namespace {

#if defined(__x86_64__)
constexpr int kRecorderMachine = EM_X86_64;
#elif defined(__aarch64__)
constexpr int kRecorderMachine = EM_AARCH64;
#else
constexpr int kRecorderMachine = 0; // not checked
#endif

bool readAt(int fd, off_t offset, void *buf, size_t len)
{
    size_t done = 0;
    while (done < len) {
        const ssize_t n = ::pread(fd, static_cast<char *>(buf) + done, len - done, offset + off_t(done));
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0)
            return false;
        done += size_t(n);
    }
    return true;
}

// A whole /proc file, at most `limit` bytes; false when it cannot be opened or read.
bool readProcFile(const char *path, std::string *out, size_t limit = 4u << 20)
{
    out->clear();
    const int fd = ::open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        return false;
    char buf[16384];
    bool ok = true;
    while (out->size() < limit) {
        const ssize_t n = ::read(fd, buf, sizeof buf);
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0)
            ok = false;
        if (n <= 0)
            break;
        out->append(buf, std::min(size_t(n), limit - out->size()));
    }
    ::close(fd);
    return ok;
}

// "Uid:\t0\t65534\t65534\t65534": the real and effective ids.
void parseIds(const std::string &status, const char *key, uint32_t *real, uint32_t *effective)
{
    const size_t at = status.find(key);
    if (at == std::string::npos)
        return;
    unsigned long r = 0, e = 0;
    if (std::sscanf(status.c_str() + at + std::strlen(key), " %lu %lu", &r, &e) == 2) {
        *real = uint32_t(r);
        *effective = uint32_t(e);
    }
}

QStringList splitNul(const QByteArray &data)
{
    QStringList list;
    for (const QByteArray &part : data.split('\0'))
        list << QString::fromLocal8Bit(part);
    if (!list.isEmpty() && list.last().isEmpty())
        list.removeLast();
    return list;
}

QString envValue(const QStringList &env, const QString &name)
{
    for (const QString &kv : env)
        if (kv.startsWith(name) && kv.size() > name.size() && kv.at(name.size()) == QLatin1Char('='))
            return kv.mid(name.size() + 1);
    return {};
}

bool hasEnv(const QStringList &env, const QString &name)
{
    for (const QString &kv : env)
        if (kv.startsWith(name) && kv.size() > name.size() && kv.at(name.size()) == QLatin1Char('='))
            return true;
    return false;
}

// The recorder module, by the file name every LD_AUDIT the launcher sets contains.
constexpr char kRecorderName[] = "libinitscope_recorder.so";

QString secureWords(const ExecFacts &f)
{
    if ((f.fileMode & S_ISUID) && f.euid != f.ruid)
        return QStringLiteral("set-user-ID");
    if ((f.fileMode & S_ISGID) && f.egid != f.rgid)
        return QStringLiteral("set-group-ID");
    return QStringLiteral("run with privileges it gained at exec (file capabilities)");
}

} // namespace

bool readElfLoadFacts(int fd, ElfLoadFacts *facts)
{
    *facts = ElfLoadFacts();
    unsigned char ident[EI_NIDENT];
    if (!readAt(fd, 0, ident, sizeof ident) || std::memcmp(ident, ELFMAG, SELFMAG) != 0)
        return false;
    facts->isElf = true;
    facts->elfClass = ident[EI_CLASS];
    if (ident[EI_DATA] != ELFDATA2LSB)
        return true; // class known; the rest is read only in the host's byte order
    uint64_t phoff = 0;
    size_t phentsize = 0, phnum = 0;
    if (facts->elfClass == ELFCLASS64) {
        Elf64_Ehdr h;
        if (!readAt(fd, 0, &h, sizeof h))
            return true;
        facts->machine = h.e_machine;
        phoff = h.e_phoff;
        phentsize = h.e_phentsize;
        phnum = h.e_phnum;
        if (phentsize < sizeof(Elf64_Phdr))
            return true;
    } else if (facts->elfClass == ELFCLASS32) {
        Elf32_Ehdr h;
        if (!readAt(fd, 0, &h, sizeof h))
            return true;
        facts->machine = h.e_machine;
        phoff = h.e_phoff;
        phentsize = h.e_phentsize;
        phnum = h.e_phnum;
        if (phentsize < sizeof(Elf32_Phdr))
            return true;
    } else {
        return true;
    }
    for (size_t i = 0; i < phnum && i < 512; ++i) {
        const off_t at = off_t(phoff + i * phentsize);
        uint32_t type = 0;
        uint64_t offset = 0, size = 0;
        if (facts->elfClass == ELFCLASS64) {
            Elf64_Phdr p;
            if (!readAt(fd, at, &p, sizeof p))
                break;
            type = p.p_type;
            offset = p.p_offset;
            size = p.p_filesz;
        } else {
            Elf32_Phdr p;
            if (!readAt(fd, at, &p, sizeof p))
                break;
            type = p.p_type;
            offset = p.p_offset;
            size = p.p_filesz;
        }
        if (type != PT_INTERP)
            continue;
        facts->hasInterp = true;
        char path[4096] = {};
        const size_t len = size < sizeof path - 1 ? size_t(size) : sizeof path - 1;
        if (readAt(fd, off_t(offset), path, len))
            facts->interpreter.assign(path, ::strnlen(path, len));
        break;
    }
    return true;
}

int openExecutableOf(pid_t pid)
{
    char path[64];
    std::snprintf(path, sizeof path, "/proc/%d/exe", int(pid));
    return ::open(path, O_RDONLY | O_CLOEXEC);
}

void recordExecFacts(int recordFd, pid_t pid, uint64_t tsNs, int exeFd, bool superseded)
{
    RawProcExec e{};
    e.at_secure = -1;
    std::string exe, interpreter, cmdline, environ, comm;
    char path[64];
    if (exeFd >= 0 && !superseded) {
        char link[4096];
        std::snprintf(path, sizeof path, "/proc/self/fd/%d", exeFd);
        const ssize_t n = ::readlink(path, link, sizeof link);
        struct stat st {};
        if (n > 0 && ::fstat(exeFd, &st) == 0) {
            exe.assign(link, size_t(n));
            e.seen |= RAW_EXEC_SEEN_EXE;
            e.file_mode = st.st_mode;
            e.file_uid = st.st_uid;
            e.file_gid = st.st_gid;
            ElfLoadFacts elf;
            if (readElfLoadFacts(exeFd, &elf)) {
                e.elf_class = uint32_t(elf.elfClass);
                e.elf_machine = uint32_t(elf.machine);
                e.has_interp = elf.hasInterp ? 1 : 0;
                interpreter = elf.interpreter;
            }
        }
    }
    if (exeFd >= 0)
        ::close(exeFd);
    if (!superseded) {
        std::string auxv;
        std::snprintf(path, sizeof path, "/proc/%d/auxv", int(pid));
        // The vector is in the word size of the image: 32-bit pairs for a 32-bit program.
        const size_t word = e.elf_class == ELFCLASS32 ? 4 : 8;
        if ((e.seen & RAW_EXEC_SEEN_EXE) && readProcFile(path, &auxv, 8192)) {
            for (size_t i = 0; i + 2 * word <= auxv.size(); i += 2 * word) {
                uint64_t type = 0, value = 0;
                std::memcpy(&type, auxv.data() + i, word); // little-endian: the low bytes
                std::memcpy(&value, auxv.data() + i + word, word);
                if (type == AT_NULL)
                    break;
                if (type == AT_SECURE) {
                    e.at_secure = int32_t(value);
                    e.seen |= RAW_EXEC_SEEN_AUXV;
                }
            }
        }
        std::snprintf(path, sizeof path, "/proc/%d/environ", int(pid));
        if (readProcFile(path, &environ) && !environ.empty())
            e.seen |= RAW_EXEC_SEEN_ENVIRON;
        std::snprintf(path, sizeof path, "/proc/%d/cmdline", int(pid));
        if (readProcFile(path, &cmdline) && !cmdline.empty())
            e.seen |= RAW_EXEC_SEEN_CMDLINE;
        std::string status;
        std::snprintf(path, sizeof path, "/proc/%d/status", int(pid));
        if (readProcFile(path, &status, 65536) && !status.empty()) {
            e.seen |= RAW_EXEC_SEEN_STATUS;
            parseIds(status, "\nUid:", &e.ruid, &e.euid);
            parseIds(status, "\nGid:", &e.rgid, &e.egid);
            const size_t at = status.find("\nPPid:");
            unsigned long ppid = 0;
            if (at != std::string::npos && std::sscanf(status.c_str() + at + 6, " %lu", &ppid) == 1)
                e.ppid = uint32_t(ppid);
        }
        std::snprintf(path, sizeof path, "/proc/%d/comm", int(pid));
        if (readProcFile(path, &comm, 64) && !comm.empty()) {
            if (comm.back() == '\n')
                comm.pop_back();
            e.seen |= RAW_EXEC_SEEN_COMM;
        }
    }
    RawHeader h{};
    h.type = RAW_PROC_EXEC;
    h.ts_ns = tsNs;
    h.pid = uint32_t(pid);
    e.exe_len = uint32_t(exe.size());
    e.interp_len = uint32_t(interpreter.size());
    e.cmdline_len = uint32_t(cmdline.size());
    e.environ_len = uint32_t(environ.size());
    e.comm_len = uint32_t(comm.size());
    h.size = uint32_t(sizeof h + sizeof e + exe.size() + interpreter.size() + cmdline.size() + environ.size() +
                      comm.size());
    iovec iov[7] = {{&h, sizeof h},
                    {&e, sizeof e},
                    {exe.data(), exe.size()},
                    {interpreter.data(), interpreter.size()},
                    {cmdline.data(), cmdline.size()},
                    {environ.data(), environ.size()},
                    {comm.data(), comm.size()}};
    appendRecord(recordFd, iov, 7);
}

bool parseExecFacts(const uchar *payload, size_t size, ExecFacts *facts)
{
    RawProcExec e;
    if (size < sizeof e)
        return false;
    std::memcpy(&e, payload, sizeof e);
    const size_t strings = size_t(e.exe_len) + e.interp_len + e.cmdline_len + e.environ_len + e.comm_len;
    if (size - sizeof e < strings)
        return false;
    *facts = ExecFacts();
    facts->seen = e.seen;
    facts->elfClass = int(e.elf_class);
    facts->machine = int(e.elf_machine);
    facts->hasInterp = e.has_interp != 0;
    facts->fileMode = e.file_mode;
    facts->fileUid = e.file_uid;
    facts->fileGid = e.file_gid;
    facts->ppid = e.ppid;
    facts->ruid = e.ruid;
    facts->euid = e.euid;
    facts->rgid = e.rgid;
    facts->egid = e.egid;
    facts->atSecure = e.at_secure;
    const char *p = reinterpret_cast<const char *>(payload + sizeof e);
    auto take = [&p](uint32_t len) {
        const QByteArray bytes(p, qsizetype(len));
        p += len;
        return bytes;
    };
    facts->exe = QFile::decodeName(take(e.exe_len));
    facts->interpreter = QFile::decodeName(take(e.interp_len));
    facts->argv = splitNul(take(e.cmdline_len));
    facts->env = splitNul(take(e.environ_len));
    facts->comm = QString::fromLocal8Bit(take(e.comm_len));
    return true;
}

UntracedReason untracedReason(const ExecFacts &f)
{
    if (!(f.seen & RAW_EXEC_SEEN_EXE) && (f.seen & RAW_EXEC_SEEN_STATUS) && (f.euid != f.ruid || f.egid != f.rgid)) {
        // Gone before its program could be read, but its credentials (kept until it is reaped)
        // say the exec changed its identity.
        return {QStringLiteral("secure-execution"),
                QStringLiteral("set-user-ID or set-group-ID (it ran with effective user %1 and real user %2, effective "
                               "group %3 and real group %4): the loader runs it in secure-execution mode and ignores "
                               "LD_AUDIT")
                    .arg(f.euid)
                    .arg(f.ruid)
                    .arg(f.egid)
                    .arg(f.rgid)};
    }
    if (!(f.seen & RAW_EXEC_SEEN_EXE)) {
        QString text = QStringLiteral("InitScope could not look at it in time: it had ended or exec'd again before "
                                      "its program could be read");
        if (!f.comm.isEmpty())
            text += QStringLiteral(" (the kernel named it \"%1\")").arg(f.comm);
        return {QStringLiteral("not-inspected"), text};
    }
    if (f.elfClass == 0)
        return {QStringLiteral("unknown"), QStringLiteral("its program is not an ELF file the loader runs")};
    if (!f.hasInterp)
        return {QStringLiteral("static"),
                QStringLiteral("statically linked: no dynamic loader, so LD_AUDIT cannot load the recorder")};
    if (f.elfClass == ELFCLASS32)
        return {QStringLiteral("elf-class"), QStringLiteral("32-bit (ELFCLASS32): the recorder module is 64-bit")};
    if (kRecorderMachine != 0 && f.machine != kRecorderMachine)
        return {QStringLiteral("elf-class"),
                QStringLiteral("built for another machine (e_machine %1): the recorder module is not").arg(f.machine)};
    const bool secure = f.atSecure >= 0 ? f.atSecure != 0
                                        : (f.seen & RAW_EXEC_SEEN_STATUS) && (f.euid != f.ruid || f.egid != f.rgid);
    if (secure)
        return {QStringLiteral("secure-execution"),
                QStringLiteral("%1: the loader runs it in secure-execution mode and ignores LD_AUDIT").arg(secureWords(f))};
    if (f.seen & RAW_EXEC_SEEN_ENVIRON) {
        if (!envValue(f.env, QStringLiteral("LD_AUDIT")).contains(QLatin1String(kRecorderName)))
            return {QStringLiteral("environment"),
                    QStringLiteral("its environment no longer has LD_AUDIT: the parent cleared it before exec")};
        if (!hasEnv(f.env, QStringLiteral(INITSCOPE_ENV_RUN_DIR)))
            return {QStringLiteral("environment"),
                    QStringLiteral("its environment no longer has " INITSCOPE_ENV_RUN_DIR
                                   ": the parent left it out before exec, so the recorder had nowhere to write")};
    }
    return {QStringLiteral("unknown"),
            QStringLiteral("the recorder did not start in it, although nothing InitScope read of it says why")};
}

QJsonObject untracedPayload(const ExecFacts &f, const UntracedReason &reason)
{
    QJsonObject o{{QStringLiteral("reason"), reason.text},
                  {QStringLiteral("cause"), reason.cause},
                  {QStringLiteral("inspected"), bool(f.seen & RAW_EXEC_SEEN_EXE)}};
    if (!f.comm.isEmpty())
        o.insert(QStringLiteral("comm"), f.comm);
    if (f.seen & RAW_EXEC_SEEN_EXE) {
        o.insert(QStringLiteral("exe"), f.exe);
        o.insert(QStringLiteral("elfClass"), f.elfClass == ELFCLASS32 ? 32 : f.elfClass == ELFCLASS64 ? 64 : 0);
        o.insert(QStringLiteral("machine"), f.machine);
        o.insert(QStringLiteral("interpreter"), f.interpreter);
        o.insert(QStringLiteral("mode"), QStringLiteral("%1").arg(f.fileMode & 07777, 4, 8, QLatin1Char('0')));
        o.insert(QStringLiteral("fileUid"), qint64(f.fileUid));
        o.insert(QStringLiteral("fileGid"), qint64(f.fileGid));
    }
    if (f.seen & RAW_EXEC_SEEN_STATUS) {
        o.insert(QStringLiteral("uid"), qint64(f.ruid));
        o.insert(QStringLiteral("euid"), qint64(f.euid));
        o.insert(QStringLiteral("gid"), qint64(f.rgid));
        o.insert(QStringLiteral("egid"), qint64(f.egid));
    }
    if (f.seen & RAW_EXEC_SEEN_AUXV)
        o.insert(QStringLiteral("atSecure"), f.atSecure != 0);
    if (f.seen & RAW_EXEC_SEEN_ENVIRON)
        o.insert(QStringLiteral("ldAudit"), envValue(f.env, QStringLiteral("LD_AUDIT")).contains(QLatin1String(kRecorderName)));
    return o;
}

QString untraceableTargetWarning(const RecordOptions &options)
{
    if (options.command.isEmpty())
        return {};
    const QString program = resolveTargetProgram(options.command.first(), effectiveEnvironment(options));
    const QByteArray path = QFile::encodeName(program);
    const int fd = ::open(path.constData(), O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        return {};
    ElfLoadFacts elf;
    struct stat st {};
    const bool ok = readElfLoadFacts(fd, &elf) && ::fstat(fd, &st) == 0;
    ::close(fd);
    if (!ok)
        return {}; // a script, or something the launch itself will report
    QString what;
    if (!elf.hasInterp)
        what = QStringLiteral("statically linked");
    else if (elf.elfClass == ELFCLASS32)
        what = QStringLiteral("a 32-bit program (ELFCLASS32) and the recorder module is 64-bit");
    else if ((st.st_mode & S_ISUID) && st.st_uid != ::getuid())
        what = QStringLiteral("set-user-ID (the loader ignores LD_AUDIT for it)");
    else if ((st.st_mode & S_ISGID) && st.st_gid != ::getgid())
        what = QStringLiteral("set-group-ID (the loader ignores LD_AUDIT for it)");
    if (what.isEmpty())
        return {};
    return QStringLiteral("%1 is %2; its processes will be recorded but not its library loads or GPU calls")
        .arg(program, what);
}

} // namespace initscope
