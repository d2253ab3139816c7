/* callbench_linked: callbench linked against libcuda.so.1 (the fake GPU's, by its SONAME), so
 * that every call goes through the program's PLT as in a program built against the driver.
 * Built twice: callbench_linked, and callbench_pg with -pg for `uftrace record`. */
#include "callbench.h"

/* The driver's C ABI, declared here rather than taken from a CUDA header. */
int cuInit(unsigned int flags);
int cuDeviceGetAttribute(int *value, int attribute, int device);

#ifndef CALLBENCH_NAME
#define CALLBENCH_NAME "callbench_linked"
#endif

int main(int argc, char **argv)
{
    long n = callbench_count(argc, argv);
    if (cuInit(0) != 0)
        return 1;
    int value = 0;
    long sum = 0;
    const double start = callbench_now();
    for (long i = 0; i < n; ++i) {
        cuDeviceGetAttribute(&value, 75, 0);
        sum += value;
    }
    const double seconds = callbench_now() - start;
    callbench_report(CALLBENCH_NAME, n, seconds, sum);
    return 0;
}
