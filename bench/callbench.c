/* callbench: the cost of one traced driver call. Calls cuDeviceGetAttribute N times through a
 * pointer from dlsym (the path a program takes) and prints the mean time per call and its peak
 * RSS. Run it plainly and under `initscope record` (bench/run.sh) to see what recording adds.
 * Variants: callbench_gpa (pointer from cuGetProcAddress_v2), callbench_linked (linked against
 * libcuda.so.1, called through the PLT) and callbench_pg (the same built with -pg, for uftrace). */
#include "callbench.h"

#include <dlfcn.h>

typedef int (*init_t)(unsigned);

int main(int argc, char **argv)
{
    long n = callbench_count(argc, argv);
    void *driver = dlopen("libcuda.so.1", RTLD_NOW);
    if (!driver) {
        fprintf(stderr, "callbench: %s\n", dlerror());
        return 1;
    }
    init_t init;
    callbench_attr_fn attribute;
    *(void **)&init = dlsym(driver, "cuInit");
    *(void **)&attribute = dlsym(driver, "cuDeviceGetAttribute");
    if (!init || !attribute || init(0) != 0)
        return 1;
    int value = 0;
    long sum = 0;
    const double start = callbench_now();
    for (long i = 0; i < n; ++i) {
        attribute(&value, 75, 0);
        sum += value;
    }
    const double seconds = callbench_now() - start;
    callbench_report("callbench", n, seconds, sum);
    return 0;
}
