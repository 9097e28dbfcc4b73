using System.Runtime.InteropServices;
using TorchSharp;

namespace LoraDsl.Native;

/// <summary>
/// Loads libtorch once and turns TorchSharp's misleading load failure into one message that says
/// what is wrong and what to install.
/// </summary>
public static class TorchNative
{
    static readonly Lazy<bool> Loaded = new(Load, LazyThreadSafetyMode.ExecutionAndPublication);

    public static void EnsureLoaded() => _ = Loaded.Value;

    static bool Load()
    {
        try
        {
            torch.InitializeDeviceType(DeviceType.CPU);
            return true;
        }
        catch (Exception e) when (e is TypeInitializationException or DllNotFoundException or NotSupportedException)
        {
            var hint = RuntimeInformation.IsOSPlatform(OSPlatform.Linux) && !SystemLibstdcxxHas("GLIBCXX_3.4.32")
                ? "The system libstdc++ lacks GLIBCXX_3.4.32 and libLibTorchSharp.so in the output folder was not patched. " +
                  "Build through MSBuild with LoraDsl's build/TorchNativeCompat.targets imported (the repository does this), " +
                  "or install libstdc++ from GCC 13 or newer."
                : "Check that the libtorch-cpu-linux-x64 (or TorchSharp-cuda-linux) package is referenced and restored.";
            throw new InvalidOperationException($"libtorch could not be loaded: {e.GetBaseException().Message} {hint}", e);
        }
    }

    static bool SystemLibstdcxxHas(string version)
    {
        foreach (var path in new[] { "/usr/lib/x86_64-linux-gnu/libstdc++.so.6", "/usr/lib64/libstdc++.so.6", "/usr/lib/libstdc++.so.6" })
        {
            if (!File.Exists(path)) continue;
            var text = System.Text.Encoding.ASCII.GetString(File.ReadAllBytes(path));
            return text.Contains(version + "\0", StringComparison.Ordinal);
        }
        return false;
    }
}
