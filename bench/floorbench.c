/* floorbench: what any recorder must pay per call on this machine, measured the same way
 * callbench measures a traced call. Times, each over N iterations:
 *   - one read of the TSC, and one clock_gettime(CLOCK_MONOTONIC): the two clocks a recorder
 *     can take a call's times from;
 *   - the floor: an indirect call to a function that reads the TSC before and after calling
 *     the real work through another pointer and stores a 56-byte record into a reused 128 KiB
 *     buffer (a call record without arguments decoded, in the cache) — the least a tracer that
 *     keeps start, duration, arguments and result must do.
 * Prints one line each, parsed by bench/run.sh. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <x86intrin.h>

static double now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

struct record {
    uint64_t head, start, duration_ret, args[3], out;
};

static unsigned char buffer[128 << 10];
static size_t used;

__attribute__((noinline)) static int work(int *value, int attribute, int device)
{
    *value = attribute + device;
    return 0;
}

static int (*volatile real)(int *, int, int) = work;

__attribute__((noinline)) static int traced(int *value, int attribute, int device)
{
    struct record r;
    r.start = __rdtsc();
    const int ret = real(value, attribute, device);
    const uint64_t end = __rdtsc();
    r.head = 1;
    r.duration_ret = ((end - r.start) << 32) | (uint32_t)ret;
    r.args[0] = (uint64_t)(uintptr_t)value;
    r.args[1] = (uint64_t)attribute;
    r.args[2] = (uint64_t)device;
    r.out = (uint64_t)*value;
    if (used + sizeof r > sizeof buffer)
        used = 0;
    memcpy(buffer + used, &r, sizeof r);
    used += sizeof r;
    return ret;
}

static int (*volatile entry)(int *, int, int) = traced;

int main(int argc, char **argv)
{
    const long n = argc > 1 ? atol(argv[1]) : 10000000;
    uint64_t sum = 0;
    double t0 = now();
    for (long i = 0; i < n; ++i)
        sum += __rdtsc();
    const double tsc = (now() - t0) * 1e9 / (double)n;
    struct timespec ts;
    t0 = now();
    for (long i = 0; i < n; ++i) {
        clock_gettime(CLOCK_MONOTONIC, &ts);
        sum += (uint64_t)ts.tv_nsec;
    }
    const double gettime = (now() - t0) * 1e9 / (double)n;
    int value = 0;
    t0 = now();
    for (long i = 0; i < n; ++i) {
        entry(&value, 75, 0);
        sum += (uint64_t)value;
    }
    const double floor = (now() - t0) * 1e9 / (double)n;
    t0 = now();
    for (long i = 0; i < n; ++i) {
        real(&value, 75, 0);
        sum += (uint64_t)value;
    }
    const double plain = (now() - t0) * 1e9 / (double)n;
    printf("floorbench: %ld iterations, tsc %.1f ns, clock_gettime %.1f ns, plain indirect call %.1f ns, "
           "floor %.1f ns (checksum %llu)\n",
           n, tsc, gettime, plain, floor, (unsigned long long)(sum & 0xffff) + (unsigned long long)used);
    return 0;
}
