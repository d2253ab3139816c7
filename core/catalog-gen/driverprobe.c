/* driverprobe: measures the driver facts of the API catalog on a machine with a real driver.
 *
 * Not part of the build (the build machines have no driver). Run it where libcuda.so.1 and the
 * CUDA toolkit's headers are, and commit the files it rewrites (docs/api-catalog.md):
 *
 *     cc -O1 -o driverprobe core/catalog-gen/driverprobe.c -ldl
 *     ./driverprobe /usr/local/cuda/include resources/catalog
 *
 * It writes variants-driver.txt (which spelling cuGetProcAddress_v2 hands out, per base name and
 * CUDA version), results-driver.txt (cuGetErrorName / cuGetErrorString of every code the driver
 * knows) and results-runtime.txt (cudaGetErrorName / cudaGetErrorString of libcudart). It reads
 * the base names and versions to ask for from the names of the toolkit's PFN_* typedefs
 * (PFN_<base>_v<version>[_ptds|_ptsz]): those are exactly the versions at which an ABI changed.
 */
#define _GNU_SOURCE
#include <dlfcn.h>
#include <limits.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define MAX_BASES 4096
#define MAX_VERSIONS 256
#define NAME_LEN 128

typedef int CUresult;
typedef CUresult (*GetProcAddressV2)(const char *, void **, int, uint64_t, int *);

static char bases[MAX_BASES][NAME_LEN];
static int baseCount;
static int versions[MAX_VERSIONS];
static int versionCount;

static int isIdent(int c)
{
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_';
}

static void addBase(const char *name)
{
    for (int i = 0; i < baseCount; i++)
        if (strcmp(bases[i], name) == 0)
            return;
    if (baseCount < MAX_BASES)
        snprintf(bases[baseCount++], NAME_LEN, "%s", name);
}

static void addVersion(int v)
{
    for (int i = 0; i < versionCount; i++)
        if (versions[i] == v)
            return;
    if (versionCount < MAX_VERSIONS)
        versions[versionCount++] = v;
}

/* Collects <base> and <version> from every PFN_<base>_v<version>[_ptds|_ptsz] in a header. */
static void scanTypedefs(const char *path)
{
    FILE *f = fopen(path, "r");
    if (!f)
        return;
    static char text[4 << 20];
    size_t n = fread(text, 1, sizeof text - 1, f);
    fclose(f);
    text[n] = 0;
    for (char *p = strstr(text, "PFN_cu"); p; p = strstr(p + 1, "PFN_cu")) {
        if (p > text && isIdent((unsigned char)p[-1]))
            continue;
        char ident[NAME_LEN];
        size_t len = 0;
        const char *q = p + 4;
        while (isIdent((unsigned char)*q) && len + 1 < sizeof ident)
            ident[len++] = *q++;
        ident[len] = 0;
        char *suffix = strstr(ident, "_ptds");
        if (!suffix)
            suffix = strstr(ident, "_ptsz");
        if (suffix)
            *suffix = 0;
        char *v = strrchr(ident, '_');
        if (!v || v[1] != 'v' || v[2] < '0' || v[2] > '9')
            continue;
        addVersion(atoi(v + 2));
        *v = 0;
        addBase(ident);
    }
}

static int compareInt(const void *a, const void *b)
{
    return *(const int *)a - *(const int *)b;
}

static int compareName(const void *a, const void *b)
{
    return strcmp((const char *)a, (const char *)b);
}

/* The exported name at the address, or "" when the pointer is not an exported entry point. */
static const char *spellingAt(void *p)
{
    Dl_info info;
    if (!p || !dladdr(p, &info) || !info.dli_sname || info.dli_saddr != p)
        return "";
    return info.dli_sname;
}

static FILE *openOut(const char *dir, const char *name)
{
    char path[PATH_MAX];
    snprintf(path, sizeof path, "%s/%s", dir, name);
    FILE *f = fopen(path, "w");
    if (!f)
        perror(path);
    return f;
}

struct Step {
    int version;
    char spelling[NAME_LEN];
};

/* The spelling handed out at each version, compressed to the versions where it changes. An empty
 * spelling means "not available at this version". */
static int resolveSteps(GetProcAddressV2 resolve, const char *base, uint64_t flags, int maxVersion,
                        struct Step *steps)
{
    int count = 0;
    const char *previous = NULL;
    for (int i = 0; i < versionCount && versions[i] <= maxVersion; i++) {
        void *fn = NULL;
        int status = -1;
        CUresult r = resolve(base, &fn, versions[i], flags, &status);
        const char *spelling = (r == 0 && status == 0) ? spellingAt(fn) : "";
        if (previous && strcmp(previous, spelling) == 0)
            continue;
        steps[count].version = versions[i];
        snprintf(steps[count].spelling, NAME_LEN, "%s", spelling);
        previous = steps[count].spelling;
        count++;
    }
    return count;
}

static int sameSteps(const struct Step *a, int na, const struct Step *b, int nb)
{
    if (na != nb)
        return 0;
    for (int i = 0; i < na; i++)
        if (a[i].version != b[i].version || strcmp(a[i].spelling, b[i].spelling) != 0)
            return 0;
    return 1;
}

int main(int argc, char **argv)
{
    if (argc != 3) {
        fprintf(stderr, "usage: %s CUDA_INCLUDE_DIR CATALOG_DIR\n", argv[0]);
        return 2;
    }
    static const char *headers[] = {"cudaTypedefs.h", "cudaGLTypedefs.h", "cudaEGLTypedefs.h",
                                    "cudaVDPAUTypedefs.h", "cudaProfilerTypedefs.h"};
    for (size_t i = 0; i < sizeof headers / sizeof *headers; i++) {
        char path[PATH_MAX];
        snprintf(path, sizeof path, "%s/%s", argv[1], headers[i]);
        scanTypedefs(path);
    }
    if (!baseCount) {
        fprintf(stderr, "no PFN_ typedefs found under %s\n", argv[1]);
        return 1;
    }
    qsort(bases, (size_t)baseCount, NAME_LEN, compareName);

    void *cuda = dlopen("libcuda.so.1", RTLD_NOW | RTLD_GLOBAL);
    if (!cuda) {
        fprintf(stderr, "%s\n", dlerror());
        return 1;
    }
    GetProcAddressV2 resolve = (GetProcAddressV2)dlsym(cuda, "cuGetProcAddress_v2");
    CUresult (*driverVersion)(int *) = (CUresult(*)(int *))dlsym(cuda, "cuDriverGetVersion");
    CUresult (*errorName)(CUresult, const char **) =
        (CUresult(*)(CUresult, const char **))dlsym(cuda, "cuGetErrorName");
    CUresult (*errorString)(CUresult, const char **) =
        (CUresult(*)(CUresult, const char **))dlsym(cuda, "cuGetErrorString");
    if (!resolve || !driverVersion || !errorName || !errorString) {
        fprintf(stderr, "libcuda.so.1 lacks an entry point this probe needs\n");
        return 1;
    }
    int version = 0;
    driverVersion(&version);
    /* The first version below the oldest ABI shows where a name became available. */
    addVersion(1000);
    qsort(versions, (size_t)versionCount, sizeof *versions, compareInt);

    Dl_info self;
    char library[PATH_MAX] = "libcuda.so.1";
    if (dladdr((void *)resolve, &self) && self.dli_fname && !realpath(self.dli_fname, library))
        snprintf(library, sizeof library, "%s", self.dli_fname);

    FILE *out = openOut(argv[2], "variants-driver.txt");
    if (!out)
        return 1;
    fprintf(out,
            "# Driver API spellings by CUDA version. Generated by core/catalog-gen/driverprobe.c:\n"
            "# do not edit by hand, run it again (docs/api-catalog.md).\n"
            "#\n"
            "# Measured on %s (cuDriverGetVersion %d).\n"
            "# For each base name of the toolkit's PFN_* typedefs, cuGetProcAddress_v2 was asked at\n"
            "# every CUDA version those typedefs name, up to the driver's own, with flags\n"
            "# CU_GET_PROC_ADDRESS_DEFAULT and CU_GET_PROC_ADDRESS_PER_THREAD_DEFAULT_STREAM; the\n"
            "# pointer it handed back was named with dladdr(). Before a name's first version the\n"
            "# driver answers CUDA_SUCCESS with symbolStatus CU_GET_PROC_ADDRESS_VERSION_NOT_SUFFICIENT\n"
            "# and a NULL pointer; above its own version it answers CUDA_ERROR_INVALID_VALUE.\n"
            "#\n"
            "# variants <api> <base>\n"
            "#     <from-version> <spelling> [per-thread]\n"
            "# A line says: a caller of this CUDA version or newer gets this spelling. per-thread lines\n"
            "# answer the per-thread default stream flag; a base without them answers it like the\n"
            "# default. \"-\" as spelling: not available from that version on.\n",
            library, version);
    static struct Step legacy[MAX_VERSIONS], perThread[MAX_VERSIONS];
    int written = 0;
    for (int b = 0; b < baseCount; b++) {
        int nl = resolveSteps(resolve, bases[b], 0, version, legacy);
        int np = resolveSteps(resolve, bases[b], 2, version, perThread);
        int available = 0;
        for (int i = 0; i < nl; i++)
            available |= legacy[i].spelling[0] != 0;
        if (!available)
            continue;
        fprintf(out, "\nvariants driver %s\n", bases[b]);
        /* A leading "not available" step is implied by the first version. */
        for (int i = 0; i < nl; i++)
            if (i > 0 || legacy[i].spelling[0])
                fprintf(out, "    %-6d %s\n", legacy[i].version,
                        legacy[i].spelling[0] ? legacy[i].spelling : "-");
        if (!sameSteps(legacy, nl, perThread, np))
            for (int i = 0; i < np; i++)
                if (i > 0 || perThread[i].spelling[0])
                    fprintf(out, "    %-6d %s per-thread\n", perThread[i].version,
                            perThread[i].spelling[0] ? perThread[i].spelling : "-");
        written++;
    }
    fclose(out);

    out = openOut(argv[2], "results-driver.txt");
    if (!out)
        return 1;
    fprintf(out,
            "# CUresult: every code the driver names. Generated by core/catalog-gen/driverprobe.c:\n"
            "# do not edit by hand, run it again (docs/api-catalog.md).\n"
            "#\n"
            "# Measured on %s (cuDriverGetVersion %d): cuGetErrorName and\n"
            "# cuGetErrorString for 0..19999; both fail with CUDA_ERROR_INVALID_VALUE for other codes.\n"
            "#\n"
            "# results <C type> <api>\n"
            "#     <code> <name> <message, as cuGetErrorString returns it>\n"
            "\nresults CUresult driver\n",
            library, version);
    for (int code = 0; code < 20000; code++) {
        const char *name = NULL, *message = NULL;
        if (errorName(code, &name) != 0 || errorString(code, &message) != 0)
            continue;
        fprintf(out, "    %-4d %-42s %s\n", code, name, message);
    }
    fclose(out);

    void *runtime = dlopen("libcudart.so", RTLD_NOW);
    if (!runtime) {
        fprintf(stderr, "libcudart not found (%s): results-runtime.txt left as it was\n", dlerror());
        printf("%d driver entry points\n", written);
        return 0;
    }
    const char *(*rtName)(int) = (const char *(*)(int))dlsym(runtime, "cudaGetErrorName");
    const char *(*rtString)(int) = (const char *(*)(int))dlsym(runtime, "cudaGetErrorString");
    int (*rtVersion)(int *) = (int (*)(int *))dlsym(runtime, "cudaRuntimeGetVersion");
    int runtimeVersion = 0;
    rtVersion(&runtimeVersion);
    char runtimePath[PATH_MAX] = "libcudart.so";
    if (dladdr((void *)rtName, &self) && self.dli_fname && !realpath(self.dli_fname, runtimePath))
        snprintf(runtimePath, sizeof runtimePath, "%s", self.dli_fname);
    const char *unknown = rtName(-1);
    out = openOut(argv[2], "results-runtime.txt");
    if (!out)
        return 1;
    fprintf(out,
            "# cudaError_t: every code the runtime names. Generated by core/catalog-gen/driverprobe.c:\n"
            "# do not edit by hand, run it again (docs/api-catalog.md).\n"
            "#\n"
            "# Measured on %s (cudaRuntimeGetVersion %d): cudaGetErrorName\n"
            "# and cudaGetErrorString for 0..19999; for other codes both return \"%s\".\n"
            "#\n"
            "# results <C type> <api>\n"
            "#     <code> <name> <message, as cudaGetErrorString returns it>\n"
            "\nresults cudaError_t runtime\n",
            runtimePath, runtimeVersion, unknown);
    for (int code = 0; code < 20000; code++) {
        const char *name = rtName(code);
        if (strcmp(name, unknown) == 0)
            continue;
        fprintf(out, "    %-5d %-42s %s\n", code, name, rtString(code));
    }
    fclose(out);
    printf("%d driver entry points, runtime %d\n", written, runtimeVersion);
    return 0;
}
