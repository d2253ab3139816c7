// Knowledge of the setup faults behind bring-up results; docs/diagnosis.md lists them.
#include "setupadvice.h"

namespace initscope {

namespace {

SetupAdvice cudaAdvice(qint64 code)
{
    switch (code) {
    case 100: // CUDA_ERROR_NO_DEVICE, cudaErrorNoDevice
        return {QStringLiteral("the driver sees no device this process may use"),
                QStringLiteral("Check CUDA_VISIBLE_DEVICES in the process's environment (an empty value, -1 or "
                               "an index or UUID that matches no GPU hides them all), that the device nodes "
                               "/dev/nvidiactl, /dev/nvidia0… and /dev/nvidia-uvm exist in the process's view "
                               "(containers: --gpus / the NVIDIA container toolkit), and that nvidia-smi lists "
                               "the GPU on the host."),
                true};
    case 999: // CUDA_ERROR_UNKNOWN
        return {QStringLiteral("the driver failed without naming a reason"),
                QStringLiteral("Usual causes: the nvidia_uvm kernel module is not loaded or /dev/nvidia-uvm is "
                               "missing (modprobe nvidia_uvm; in a container pass the device); the machine "
                               "resumed from suspend with nvidia_uvm loaded (reload it); the kernel module and "
                               "the user-space libcuda differ in version. dmesg shows NVRM lines for the "
                               "first two."),
                true};
    case 802: // CUDA_ERROR_SYSTEM_NOT_READY, cudaErrorSystemNotReady
        return {QStringLiteral("the system is not yet initialised: on NVSwitch machines (HGX/DGX A100, H100, "
                               "H200) the fabric manager must be running"),
                QStringLiteral("Start nvidia-fabricmanager of exactly the driver's version (systemctl status "
                               "nvidia-fabricmanager; its log says why it stopped), then run again."),
                true};
    case 803: // CUDA_ERROR_SYSTEM_DRIVER_MISMATCH, cudaErrorSystemDriverMismatch
        return {QStringLiteral("the user-space driver library and the kernel module are of different versions"),
                QStringLiteral("Compare /proc/driver/nvidia/version with the version in the name of the "
                               "libcuda.so the process loaded; remove the stray library (a libcuda baked into a "
                               "container image, an old copy on LD_LIBRARY_PATH) or reboot after a driver "
                               "upgrade so the new kernel module is loaded."),
                true};
    case 804: // CUDA_ERROR_COMPAT_NOT_SUPPORTED_ON_DEVICE, cudaErrorCompatNotSupportedOnDevice
        return {QStringLiteral("a forward-compatibility libcuda (the cuda-compat package) was loaded on a GPU "
                               "that does not support forward compatibility"),
                QStringLiteral("Take the compat directory (/usr/local/cuda/compat, cuda-compat-*) off "
                               "LD_LIBRARY_PATH and ld.so.conf so that the installed driver's libcuda.so.1 is "
                               "loaded, or install a driver new enough for the runtime instead."),
                true};
    case 34: // CUDA_ERROR_STUB_LIBRARY, cudaErrorStubLibrary
        return {QStringLiteral("the CUDA toolkit's link-time stub libcuda was loaded instead of the driver"),
                QStringLiteral("Take the toolkit's stubs directory (…/cuda/lib64/stubs) off LD_LIBRARY_PATH and "
                               "remove any libcuda.so.1 link that points into it, so the driver's libcuda.so.1 "
                               "is found first."),
                true};
    case 35: // CUDA_ERROR_INSUFFICIENT_DRIVER, cudaErrorInsufficientDriver
        return {QStringLiteral("the driver is older than the CUDA runtime the program uses"),
                QStringLiteral("Install a driver that supports the runtime's CUDA version, or use a runtime "
                               "build for the driver's version."),
                true};
    case 46: // CUDA_ERROR_DEVICE_UNAVAILABLE, cudaErrorDevicesUnavailable
        return {QStringLiteral("the device is busy or unavailable (exclusive-process compute mode held by "
                               "another process, or a MIG configuration without an instance for this process)"),
                QStringLiteral("Check nvidia-smi for the compute mode and the processes on the GPU; free it or "
                               "set the compute mode to Default."),
                true};
    case 3: // CUDA_ERROR_NOT_INITIALIZED, cudaErrorInitializationError
        return {QStringLiteral("the driver was not initialised (cuInit failed or was never called in this "
                               "process, or the process forked after initialising)"),
                QStringLiteral("Look for the failed cuInit before it; a child process must initialise CUDA "
                               "itself rather than inherit it across fork."),
                false};
    default:
        return {};
    }
}

SetupAdvice nvmlAdvice(qint64 code)
{
    switch (code) {
    case 9: // NVML_ERROR_DRIVER_NOT_LOADED
        return {QStringLiteral("the NVIDIA kernel module is not loaded"),
                QStringLiteral("Load it (modprobe nvidia) or install the driver; in a container, the host "
                               "must have it loaded and the device nodes passed in."),
                true};
    case 18: // NVML_ERROR_LIB_RM_VERSION_MISMATCH
        return {QStringLiteral("the user-space NVML library and the kernel module are of different versions"),
                QStringLiteral("Reboot after a driver upgrade (the old kernel module is still loaded), or remove "
                               "the libnvidia-ml.so.1 of another driver version from the library path."),
                true};
    case 12: // NVML_ERROR_LIBRARY_NOT_FOUND
        return {QStringLiteral("NVML could not find the driver's libraries"),
                QStringLiteral("Install the driver's user-space libraries or put their directory on the "
                               "library path."),
                true};
    case 999: // NVML_ERROR_UNKNOWN
        return {QStringLiteral("NVML failed without naming a reason"),
                QStringLiteral("Check dmesg for NVRM lines and that /dev/nvidiactl is readable by the process."),
                true};
    default:
        return {};
    }
}

} // namespace

SetupAdvice setupAdvice(ApiFamily family, qint64 code)
{
    switch (family) {
    case ApiFamily::Driver:
    case ApiFamily::Runtime:
        return cudaAdvice(code);
    case ApiFamily::Nvml:
        return nvmlAdvice(code);
    default:
        return {};
    }
}

} // namespace initscope
