/* callbench_gpa: callbench with the pointer to cuDeviceGetAttribute taken from the driver's own
 * resolver, cuGetProcAddress_v2 (falling back to cuGetProcAddress), itself found with dlsym —
 * the path the CUDA runtime takes for every entry point. */
#include "callbench.h"

#include <dlfcn.h>
#include <stdint.h>

typedef int (*init_t)(unsigned);
typedef int (*get_proc_v2_t)(const char *symbol, void **pfn, int cuda_version, uint64_t flags,
                             int *symbol_status);
typedef int (*get_proc_t)(const char *symbol, void **pfn, int cuda_version, uint64_t flags);

int main(int argc, char **argv)
{
    long n = callbench_count(argc, argv);
    void *driver = dlopen("libcuda.so.1", RTLD_NOW);
    if (!driver) {
        fprintf(stderr, "callbench_gpa: %s\n", dlerror());
        return 1;
    }
    void *init_sym = NULL, *attr_sym = NULL;
    get_proc_v2_t resolve_v2;
    get_proc_t resolve;
    *(void **)&resolve_v2 = dlsym(driver, "cuGetProcAddress_v2");
    *(void **)&resolve = dlsym(driver, "cuGetProcAddress");
    int status = 0;
    if (resolve_v2) {
        if (resolve_v2("cuInit", &init_sym, 12000, 0, &status) != 0 ||
            resolve_v2("cuDeviceGetAttribute", &attr_sym, 12000, 0, &status) != 0)
            init_sym = attr_sym = NULL;
    } else if (resolve) {
        if (resolve("cuInit", &init_sym, 12000, 0) != 0 ||
            resolve("cuDeviceGetAttribute", &attr_sym, 12000, 0) != 0)
            init_sym = attr_sym = NULL;
    }
    if (!init_sym || !attr_sym) {
        fprintf(stderr, "callbench_gpa: the driver's resolver did not hand out cuInit and cuDeviceGetAttribute\n");
        return 1;
    }
    init_t init;
    callbench_attr_fn attribute;
    *(void **)&init = init_sym;
    *(void **)&attribute = attr_sym;
    if (init(0) != 0)
        return 1;
    int value = 0;
    long sum = 0;
    const double start = callbench_now();
    for (long i = 0; i < n; ++i) {
        attribute(&value, 75, 0);
        sum += value;
    }
    const double seconds = callbench_now() - start;
    callbench_report("callbench_gpa", n, seconds, sum);
    return 0;
}
