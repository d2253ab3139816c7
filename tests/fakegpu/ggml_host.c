/* A host for the ggml-cuda stand-in, as Ollama's runner is for ggml-cuda: dlopen it, then
 * ask for the device count and run a VMM round trip. Prints what happened on one line. */
#include <dlfcn.h>
#include <stdio.h>

int main(int argc, char **argv)
{
    if (argc != 2) {
        fprintf(stderr, "usage: ggml_host LIBRARY\n");
        return 64;
    }
    void *handle = dlopen(argv[1], RTLD_NOW | RTLD_LOCAL);
    if (!handle) {
        printf("dlopen failed: %s\n", dlerror());
        return 1;
    }
    int (*count)(void) = NULL;
    int (*vmm)(void) = NULL;
    /* POSIX's way to turn dlsym's object pointer into a function pointer. */
    *(void **)&count = dlsym(handle, "standin_device_count");
    *(void **)&vmm = dlsym(handle, "standin_vmm_roundtrip");
    if (!count || !vmm) {
        printf("stand-in incomplete\n");
        return 2;
    }
    const int devices = count(); /* cuInit first, as ggml does */
    printf("devices %d, vmm round trip %d\n", devices, vmm());
    return 0;
}
