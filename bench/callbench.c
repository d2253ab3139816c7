/* callbench: the cost of one traced driver call. Calls cuDeviceGetAttribute N times through a
 * pointer from dlsym (the path a program takes) and prints the mean time per call. Run it
 * plainly and under `initscope record` (bench/run.sh) to see what recording adds. */
#include <dlfcn.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

typedef int (*init_t)(unsigned);
typedef int (*attr_t)(int *, int, int);

static double now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

int main(int argc, char **argv)
{
    long n = argc > 1 ? atol(argv[1]) : 1000000;
    void *driver = dlopen("libcuda.so.1", RTLD_NOW);
    if (!driver) {
        fprintf(stderr, "callbench: %s\n", dlerror());
        return 1;
    }
    init_t init;
    attr_t attribute;
    *(void **)&init = dlsym(driver, "cuInit");
    *(void **)&attribute = dlsym(driver, "cuDeviceGetAttribute");
    if (!init || !attribute || init(0) != 0)
        return 1;
    int value = 0;
    long sum = 0;
    const double start = now();
    for (long i = 0; i < n; ++i) {
        attribute(&value, 75, 0);
        sum += value;
    }
    const double seconds = now() - start;
    printf("callbench: %ld calls, %.1f ns per call (checksum %ld)\n", n, seconds * 1e9 / (double)n, sum);
    return 0;
}
