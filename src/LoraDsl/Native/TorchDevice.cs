using TorchSharp;
using static TorchSharp.torch;

namespace LoraDsl.Native;

/// <summary>Chooses the device: CUDA when available, else CPU; a user forces one with "cpu"/"cuda" or LORADSL_DEVICE.</summary>
internal static class TorchDevice
{
    public const string EnvironmentVariable = "LORADSL_DEVICE";

    /// <summary>Resolves "auto" (or null), "cpu", "cuda" or "cuda:N" to a device.</summary>
    public static Device Resolve(string? preference = null)
    {
        TorchNative.EnsureLoaded();
        var wanted = (preference ?? Environment.GetEnvironmentVariable(EnvironmentVariable) ?? "auto").Trim().ToLowerInvariant();
        if (wanted is "" or "auto") return cuda.is_available() ? CUDA : CPU;
        if (wanted == "cpu") return CPU;
        if (wanted.StartsWith("cuda", StringComparison.Ordinal))
        {
            if (!cuda.is_available())
                throw new InvalidOperationException(
                    $"Device '{wanted}' was requested but CUDA is not available: reference TorchSharp-cuda-linux (docs/install.md) on a machine with an NVIDIA driver, or use 'cpu'.");
            return new Device(wanted);
        }
        throw new ArgumentException($"Unknown device '{preference}': use auto, cpu, cuda or cuda:N.");
    }
}
