// Configuration of the fake device: defaults, then the file named by INITSCOPE_FAKEGPU_CONFIG,
// then INITSCOPE_FAKEGPU_* variables (the environment wins, so a retry can change one value
// without editing a shared file). Read once per process under pthread_once, because the first
// call may come from any of several threads that the target starts at once.
#include "fakegpu.h"

#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>
#include <unistd.h>

namespace fakegpu {
namespace {

Config g_config;
pthread_once_t g_once = PTHREAD_ONCE_INIT;

struct ModeName {
    Mode mode;
    const char *name;
};

constexpr ModeName kModes[] = {
    {Mode::Healthy, "healthy"},
    {Mode::NoExportTables, "no-export-tables"},
    {Mode::NoGetProcAddressV2, "no-getprocaddress-v2"},
    {Mode::V1Resolver, "v1-resolver"},
    {Mode::OldDriver, "old-driver"},
    {Mode::NoDevice, "no-device"},
    {Mode::NvmlZeroMemory, "nvml-zero-memory"},
    {Mode::NoVmm, "no-vmm"},
    {Mode::CrashInInit, "crash-in-init"},
    {Mode::HangInInit, "hang-in-init"},
    {Mode::AbortInInit, "abort-in-init"},
};

void writeLine(const char *format, va_list args)
{
    char line[1024];
    int n = snprintf(line, sizeof line - 1, "fakegpu: ");
    int m = vsnprintf(line + n, sizeof line - 1 - size_t(n), format, args);
    size_t length = size_t(n) + (m < 0 ? 0 : size_t(m));
    if (length > sizeof line - 2)
        length = sizeof line - 2;
    line[length++] = '\n';
    // One write per line, so that lines of concurrent threads never interleave.
    const char *p = line;
    while (length > 0) {
        ssize_t w = write(STDERR_FILENO, p, length);
        if (w < 0 && errno == EINTR)
            continue;
        if (w <= 0)
            break;
        p += w;
        length -= size_t(w);
    }
}

void trim(char *&begin, char *&end)
{
    while (begin < end && isspace(static_cast<unsigned char>(*begin)))
        ++begin;
    while (end > begin && isspace(static_cast<unsigned char>(end[-1])))
        --end;
}

bool parseUnsigned(const char *text, int base, unsigned long long *out)
{
    if (!*text)
        return false;
    char *end = nullptr;
    errno = 0;
    unsigned long long v = strtoull(text, &end, base);
    if (errno || *end || text[0] == '-')
        return false;
    *out = v;
    return true;
}

// Accepts "0000:00:05.0", "00000000:00:05.0" and "00:05.0" (domain 0).
bool parsePciBusId(const char *text, Config *c)
{
    unsigned domain = 0, bus = 0, dev = 0, fn = 0;
    int used = 0;
    const bool full =
        sscanf(text, "%x:%x:%x.%x%n", &domain, &bus, &dev, &fn, &used) == 4 && !text[used];
    if (!full) {
        domain = 0;
        used = 0;
        if (sscanf(text, "%x:%x.%x%n", &bus, &dev, &fn, &used) != 3 || text[used])
            return false;
    }
    if (bus > 0xff || dev > 0x1f || fn > 7)
        return false;
    c->domain = domain;
    c->bus = bus;
    c->device = dev;
    c->function = fn;
    return true;
}

bool parseUuid(const char *text, unsigned char out[16])
{
    if (strncmp(text, "GPU-", 4) == 0)
        text += 4;
    int nibbles = 0;
    unsigned char bytes[16] = {};
    for (const char *p = text; *p; ++p) {
        if (*p == '-')
            continue;
        int v = isdigit(static_cast<unsigned char>(*p)) ? *p - '0'
                : isxdigit(static_cast<unsigned char>(*p))
                    ? tolower(static_cast<unsigned char>(*p)) - 'a' + 10
                    : -1;
        if (v < 0 || nibbles >= 32)
            return false;
        bytes[nibbles / 2] =
            static_cast<unsigned char>(bytes[nibbles / 2] | (v << (nibbles % 2 ? 0 : 4)));
        ++nibbles;
    }
    if (nibbles != 32)
        return false;
    memcpy(out, bytes, 16);
    return true;
}

// Applies one key; returns false (after saying why) when the value cannot be used.
bool apply(Config *c, const char *key, const char *value, const char *where)
{
    unsigned long long n = 0;
    if (strcmp(key, "mode") == 0) {
        for (const ModeName &m : kModes) {
            if (strcmp(m.name, value) == 0) {
                c->mode = m.mode;
                return true;
            }
        }
        complain("%s: unknown mode \"%s\" (known: healthy, no-export-tables, no-getprocaddress-v2, "
                 "v1-resolver, old-driver, no-device, nvml-zero-memory, no-vmm, crash-in-init, "
                 "hang-in-init, abort-in-init)",
                 where, value);
        return false;
    }
    if (strcmp(key, "name") == 0) {
        snprintf(c->name, sizeof c->name, "%s", value);
        return true;
    }
    if (strcmp(key, "pci_bus_id") == 0) {
        if (parsePciBusId(value, c))
            return true;
        complain("%s: pci_bus_id \"%s\" is not of the form 0000:00:05.0", where, value);
        return false;
    }
    if (strcmp(key, "memory_mb") == 0 || strcmp(key, "free_mb") == 0) {
        if (!parseUnsigned(value, 10, &n) || n > (1ull << 40)) {
            complain("%s: %s \"%s\" is not a number of MiB", where, key, value);
            return false;
        }
        (key[0] == 'm' ? c->totalBytes : c->freeBytes) = n << 20;
        return true;
    }
    if (strcmp(key, "cc") == 0) {
        unsigned major = 0, minor = 0;
        int used = 0;
        if (sscanf(value, "%u.%u%n", &major, &minor, &used) == 2 && !value[used] && major < 100 &&
            minor < 10) {
            c->ccMajor = int(major);
            c->ccMinor = int(minor);
            return true;
        }
        complain("%s: cc \"%s\" is not of the form 8.0", where, value);
        return false;
    }
    if (strcmp(key, "driver_version") == 0) {
        if (parseUnsigned(value, 10, &n) && n > 0 && n < 1000000) {
            c->driverVersion = int(n);
            c->driverVersionSet = true;
            return true;
        }
        complain("%s: driver_version \"%s\" is not a CUDA version number such as 13000", where,
                 value);
        return false;
    }
    if (strcmp(key, "nvml_driver_version") == 0) {
        snprintf(c->nvmlDriverVersion, sizeof c->nvmlDriverVersion, "%s", value);
        return true;
    }
    if (strcmp(key, "uuid") == 0) {
        if (parseUuid(value, c->uuid))
            return true;
        complain("%s: uuid \"%s\" is not 32 hex digits", where, value);
        return false;
    }
    if (strcmp(key, "init_result") == 0) {
        if (parseUnsigned(value, 10, &n) && n < 100000) {
            c->initResult = int(n);
            return true;
        }
        complain("%s: init_result \"%s\" is not a CUresult number such as 802", where, value);
        return false;
    }
    if (strcmp(key, "nvml_device_count") == 0) {
        if (parseUnsigned(value, 10, &n) && n <= 1) {
            c->nvmlDeviceCount = int(n);
            return true;
        }
        complain("%s: nvml_device_count \"%s\" is not 0 or 1 (the fake has one device)", where, value);
        return false;
    }
    if (strcmp(key, "hang_in") == 0) {
        if (strlen(value) < sizeof c->hangIn) {
            snprintf(c->hangIn, sizeof c->hangIn, "%s", value);
            return true;
        }
        complain("%s: hang_in is longer than %zu characters", where, sizeof c->hangIn - 1);
        return false;
    }
    if (strcmp(key, "trace") == 0) {
        c->trace = strcmp(value, "0") != 0 && strcmp(value, "false") != 0 && *value;
        return true;
    }
    complain("%s: unknown key \"%s\"", where, key);
    return false;
}

void loadFile(Config *c, const char *path)
{
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0) {
        complain("cannot read config %s: %s", path, strerror(errno));
        c->valid = false;
        return;
    }
    char text[16384];
    size_t used = 0;
    for (;;) {
        ssize_t r = read(fd, text + used, sizeof text - 1 - used);
        if (r < 0 && errno == EINTR)
            continue;
        if (r <= 0)
            break;
        used += size_t(r);
        if (used == sizeof text - 1)
            break;
    }
    close(fd);
    text[used] = '\0';

    int lineNo = 0;
    for (char *line = text; line && *line;) {
        char *next = strchr(line, '\n');
        char *end = next ? next : line + strlen(line);
        ++lineNo;
        char *hash = static_cast<char *>(memchr(line, '#', size_t(end - line)));
        char *stop = hash ? hash : end;
        char *begin = line;
        trim(begin, stop);
        if (begin < stop) {
            char where[600];
            snprintf(where, sizeof where, "%s:%d", path, lineNo);
            char *eq = static_cast<char *>(memchr(begin, '=', size_t(stop - begin)));
            if (!eq) {
                complain("%s: expected \"key = value\"", where);
                c->valid = false;
            } else {
                char *keyBegin = begin, *keyEnd = eq, *valueBegin = eq + 1, *valueEnd = stop;
                trim(keyBegin, keyEnd);
                trim(valueBegin, valueEnd);
                *keyEnd = '\0';
                *valueEnd = '\0';
                if (!apply(c, keyBegin, valueBegin, where))
                    c->valid = false;
            }
        }
        line = next ? next + 1 : nullptr;
    }
}

void load()
{
    Config &c = g_config;
    snprintf(c.name, sizeof c.name, "InitScope Fake GPU");
    snprintf(c.nvmlDriverVersion, sizeof c.nvmlDriverVersion, "580.0");
    static const unsigned char kUuid[16] = {0x1e, 0x57, 0xc0, 0x9e, 0x5f, 0x3a, 0x4b, 0x21,
                                            0x9c, 0x6d, 0x00, 0x00, 0x00, 0x05, 0xfa, 0x6e};
    memcpy(c.uuid, kUuid, sizeof c.uuid);
    c.totalBytes = 16ull << 30;

    const char *traceEnv = getenv("INITSCOPE_FAKEGPU_TRACE");
    c.trace = traceEnv && *traceEnv && strcmp(traceEnv, "0") != 0;

    if (const char *path = getenv("INITSCOPE_FAKEGPU_CONFIG"); path && *path)
        loadFile(&c, path);

    struct EnvKey {
        const char *variable;
        const char *key;
    };
    static const EnvKey kEnv[] = {
        {"INITSCOPE_FAKEGPU_MODE", "mode"},
        {"INITSCOPE_FAKEGPU_NAME", "name"},
        {"INITSCOPE_FAKEGPU_PCI_BUS_ID", "pci_bus_id"},
        {"INITSCOPE_FAKEGPU_MEMORY_MB", "memory_mb"},
        {"INITSCOPE_FAKEGPU_FREE_MB", "free_mb"},
        {"INITSCOPE_FAKEGPU_CC", "cc"},
        {"INITSCOPE_FAKEGPU_DRIVER_VERSION", "driver_version"},
        {"INITSCOPE_FAKEGPU_NVML_DRIVER_VERSION", "nvml_driver_version"},
        {"INITSCOPE_FAKEGPU_UUID", "uuid"},
        {"INITSCOPE_FAKEGPU_INIT_RESULT", "init_result"},
        {"INITSCOPE_FAKEGPU_NVML_DEVICE_COUNT", "nvml_device_count"},
        {"INITSCOPE_FAKEGPU_HANG_IN", "hang_in"},
    };
    for (const EnvKey &e : kEnv) {
        const char *value = getenv(e.variable);
        if (value && *value && !apply(&c, e.key, value, e.variable))
            c.valid = false;
    }

    // A free amount nobody chose follows the total (16 GiB -> 15 GiB), so that setting only
    // memory_mb still gives a consistent device.
    if (c.freeBytes == 0)
        c.freeBytes = c.totalBytes / 16 * 15;
    if (c.freeBytes > c.totalBytes) {
        complain("free memory (%llu MiB) exceeds total memory (%llu MiB)",
                 static_cast<unsigned long long>(c.freeBytes >> 20),
                 static_cast<unsigned long long>(c.totalBytes >> 20));
        c.valid = false;
    }
}

} // namespace

bool visibleToCuda(const Config &config)
{
    const char *list = getenv("CUDA_VISIBLE_DEVICES");
    if (!list)
        return true;
    char uuid[48];
    formatUuid(config.uuid, uuid, sizeof uuid);
    const char *p = list;
    for (;;) {
        while (*p == ' ')
            ++p;
        const char *end = strchr(p, ',');
        const size_t length = end ? size_t(end - p) : strlen(p);
        if (length == 0)
            return false;
        char entry[128];
        snprintf(entry, sizeof entry, "%.*s", int(length < sizeof entry ? length : sizeof entry - 1), p);
        unsigned long long ordinal = 0;
        if (parseUnsigned(entry, 10, &ordinal)) {
            if (ordinal == 0)
                return true; // the one device
            return false;   // an ordinal past the last device ends the list
        }
        // A UUID prefix, with or without "GPU-", matches when the device's UUID starts with it.
        const char *want = strncmp(entry, "GPU-", 4) == 0 ? entry + 4 : entry;
        if (*want && strncasecmp(uuid + 4, want, strlen(want)) == 0)
            return true;
        return false;
    }
}

const char *modeName(Mode mode)
{
    for (const ModeName &m : kModes) {
        if (m.mode == mode)
            return m.name;
    }
    return "unset";
}

int reportedDriverVersion(const Config &c, Mode mode)
{
    return mode == Mode::OldDriver && !c.driverVersionSet ? 11040 : c.driverVersion;
}

const Config &config()
{
    pthread_once(&g_once, load);
    return g_config;
}

void trace(const char *format, ...)
{
    if (!config().trace)
        return;
    va_list args;
    va_start(args, format);
    writeLine(format, args);
    va_end(args);
}

void hangIfListed(const char *function)
{
    const char *list = config().hangIn;
    const size_t length = strlen(function);
    for (const char *p = list; *p;) {
        const char *end = strchr(p, ',');
        const size_t n = end ? size_t(end - p) : strlen(p);
        if (n == length && strncmp(p, function, n) == 0) {
            for (;;) {
                struct timespec second = {1, 0};
                nanosleep(&second, nullptr);
            }
        }
        if (!end)
            break;
        p = end + 1;
    }
}

void enter(const char *function)
{
    trace("%s", function);
    hangIfListed(function);
}

void complain(const char *format, ...)
{
    va_list args;
    va_start(args, format);
    writeLine(format, args);
    va_end(args);
}

void formatUuid(const unsigned char u[16], char *out, size_t size)
{
    snprintf(out, size, "GPU-%02x%02x%02x%02x-%02x%02x-%02x%02x-%02x%02x-%02x%02x%02x%02x%02x%02x",
             u[0], u[1], u[2], u[3], u[4], u[5], u[6], u[7], u[8], u[9], u[10], u[11], u[12], u[13],
             u[14], u[15]);
}

} // namespace fakegpu
