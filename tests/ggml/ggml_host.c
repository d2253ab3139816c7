/* ggml_host: brings up the real, prebuilt ggml CUDA backend the way a runner of an inference
 * server does, and nothing more: dlopen libggml-cuda.so, ask for the number of CUDA devices,
 * create the backend of device 0. Whatever the backend has to say about a failure it prints
 * itself, on stderr; this program adds one line of its own per step, on stdout.
 *
 *   ggml_host [LIBGGML_CUDA]                 the runner (default: $INITSCOPE_GGML_CUDA)
 *   ggml_host --swallow-stderr [LIBGGML_CUDA] a parent that runs the runner with stderr on a
 *                                             pipe, reads it and throws it away, as Ollama's
 *                                             server does with its runners
 *
 * Exit status of the runner: 0 backend created, 2 library could not be loaded, 3 a symbol is
 * missing, 4 no CUDA device, 5 devices but the backend of device 0 could not be created,
 * 64 usage.
 * The parent exits 0 once it has reaped the runner and prints how the runner ended. */
#define _GNU_SOURCE
#include <dlfcn.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

/* The two entry points of libggml-cuda.so a runner needs to find its GPU, and the one of
 * libggml-base.so that releases a backend, declared by their C ABI. */
typedef int (*get_device_count_fn)(void);
typedef void *(*cuda_init_fn)(int device);
typedef void (*backend_free_fn)(void *backend);

/* ISO C has no conversion from dlsym's object pointer to a function pointer; copying the
 * bytes is what POSIX guarantees to work. */
static int lookup(void *handle, const char *name, void *fn, size_t size)
{
    void *sym = dlsym(handle, name);
    if (!sym) {
        fprintf(stdout, "ggml_host: %s not found: %s\n", name, dlerror());
        return 0;
    }
    memcpy(fn, &sym, size);
    return 1;
}

static int runner(const char *library)
{
    setvbuf(stdout, NULL, _IONBF, 0);
    void *handle = dlopen(library, RTLD_NOW | RTLD_LOCAL);
    if (!handle) {
        /* The loader's own text, e.g. an undefined symbol of the driver, is the diagnosis. */
        fprintf(stderr, "ggml_host: cannot load %s: %s\n", library, dlerror());
        return 2;
    }
    get_device_count_fn device_count;
    cuda_init_fn cuda_init;
    backend_free_fn backend_free;
    if (!lookup(handle, "ggml_backend_cuda_get_device_count", &device_count, sizeof device_count) ||
        !lookup(handle, "ggml_backend_cuda_init", &cuda_init, sizeof cuda_init) ||
        !lookup(handle, "ggml_backend_free", &backend_free, sizeof backend_free))
        return 3;

    const int count = device_count();
    printf("ggml_host: ggml_backend_cuda_get_device_count() = %d\n", count);
    /* Asked even without a device, as a runner does: the backend says itself what is wrong. */
    void *backend = cuda_init(0);
    printf("ggml_host: ggml_backend_cuda_init(0) %s\n", backend ? "succeeded" : "failed");
    if (backend)
        backend_free(backend);
    if (count <= 0)
        return 4;
    return backend ? 0 : 5;
}

static int swallowing_parent(const char *self, const char *library)
{
    int fds[2];
    if (pipe(fds) != 0) {
        perror("ggml_host: pipe");
        return 1;
    }
    const pid_t pid = fork();
    if (pid < 0) {
        perror("ggml_host: fork");
        return 1;
    }
    if (pid == 0) {
        dup2(fds[1], STDERR_FILENO);
        close(fds[0]);
        close(fds[1]);
        execl(self, "ggml_host", library, (char *)NULL);
        _exit(127);
    }
    close(fds[1]);
    char buf[4096];
    size_t swallowed = 0;
    for (;;) {
        const ssize_t n = read(fds[0], buf, sizeof buf);
        if (n > 0)
            swallowed += (size_t)n;
        else if (n == 0 || errno != EINTR)
            break;
    }
    close(fds[0]);
    int status = 0;
    while (waitpid(pid, &status, 0) < 0 && errno == EINTR) {
    }
    if (WIFEXITED(status))
        printf("ggml_host: runner exited with status %d, %zu bytes of its stderr discarded\n",
               WEXITSTATUS(status), swallowed);
    else if (WIFSIGNALED(status))
        printf("ggml_host: runner killed by signal %d, %zu bytes of its stderr discarded\n",
               WTERMSIG(status), swallowed);
    return 0;
}

int main(int argc, char **argv)
{
    int swallow = 0;
    int arg = 1;
    if (arg < argc && strcmp(argv[arg], "--swallow-stderr") == 0) {
        swallow = 1;
        ++arg;
    }
    const char *library = arg < argc ? argv[arg] : getenv("INITSCOPE_GGML_CUDA");
    if (!library || !*library || arg + 1 < argc) {
        fprintf(stderr, "usage: ggml_host [--swallow-stderr] [LIBGGML_CUDA]\n"
                        "       (default library: $INITSCOPE_GGML_CUDA)\n");
        return 64;
    }
    if (swallow)
        return swallowing_parent("/proc/self/exe", library);
    return runner(library);
}
