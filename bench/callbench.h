/* Shared by the callbench variants (callbench.c, callbench_gpa.c, callbench_linked.c): the
 * clock, and the closing line with the mean time per call and the process's peak resident set
 * (VmHWM). bench/run.sh parses that line. */
#ifndef INITSCOPE_BENCH_CALLBENCH_H
#define INITSCOPE_BENCH_CALLBENCH_H

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

typedef int (*callbench_attr_fn)(int *, int, int);

static double callbench_now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

/* Peak resident set size of this process in KiB (VmHWM of /proc/self/status), -1 if unknown. */
static long callbench_peak_rss_kib(void)
{
    FILE *f = fopen("/proc/self/status", "r");
    if (!f)
        return -1;
    char line[256];
    long kib = -1;
    while (fgets(line, sizeof line, f)) {
        if (strncmp(line, "VmHWM:", 6) == 0) {
            kib = atol(line + 6);
            break;
        }
    }
    fclose(f);
    return kib;
}

static long callbench_count(int argc, char **argv)
{
    return argc > 1 ? atol(argv[1]) : 1000000;
}

/* The closing line: "<name>: N calls, X ns per call (checksum S), peak RSS K KiB". The checksum
 * keeps the compiler from dropping the loop. */
static void callbench_report(const char *name, long n, double seconds, long sum)
{
    printf("%s: %ld calls, %.1f ns per call (checksum %ld), peak RSS %ld KiB\n", name, n,
           seconds * 1e9 / (double)(n > 0 ? n : 1), sum, callbench_peak_rss_kib());
}

#endif
