using System.Runtime.InteropServices;
using TorchSharp;

namespace LoraDsl.Native;

/// <summary>
/// Loads libtorch once and turns TorchSharp's misleading load failure into one message that says
/// what is wrong and what to install. Every entry point calls <see cref="EnsureLoaded"/> before its
/// first torch call (the CLI host, <see cref="Checkpoints.ModelLoader"/>, <see cref="TorchDevice"/>):
/// once TorchSharp's own type initializer has failed, only its misleading message is left.
/// </summary>
public static class TorchNative
{
    // TorchSharp 0.107's libLibTorchSharp.so asks for GCC 13's libstdc++ (docs/native-compat.md).
    const string MissingVersion = "GLIBCXX_3.4.32";

    static readonly Lazy<bool> Loaded = new(Load, LazyThreadSafetyMode.ExecutionAndPublication);

    /// <summary>Loads libtorch, or throws <see cref="TorchNativeException"/> saying why it cannot.</summary>
    public static void EnsureLoaded() => _ = Loaded.Value;

    static bool Load()
    {
        // The binding is tried first on its own: when the loader refuses it, TorchSharp would print a long
        // trace, copy libtorch (600 MB) into a cpu/ folder beside the program and then name the wrong cause.
        var binding = FindBinding(AppContext.BaseDirectory);
        if (binding is not null && LoaderMessage(binding) is { } refused)
            throw new TorchNativeException(Explain(binding, refused));
        try
        {
            torch.InitializeDeviceType(DeviceType.CPU);
            return true;
        }
        catch (Exception e) when (e is TypeInitializationException or DllNotFoundException or NotSupportedException)
        {
            throw new TorchNativeException(Explain(binding, null));
        }
    }

    /// <summary>
    /// The message for a failed load, from where libLibTorchSharp is (null: not found) and the dynamic
    /// loader's reason for refusing it (null: it loads on its own).
    /// </summary>
    internal static string Explain(string? bindingPath, string? loaderMessage)
    {
        const string Lead = "libtorch could not be loaded: ";
        if (bindingPath is null)
            return Lead + $"libLibTorchSharp is not in '{AppContext.BaseDirectory}' (nor under runtimes/<rid>/native). " +
                   "Reference the LoraDsl package (it brings libtorch-cpu-linux-x64) and build with dotnet build or dotnet publish; " +
                   "with LoraDslTorchBackend=cuda reference TorchSharp-cuda-linux, with none your own libtorch package (docs/install.md).";
        if (loaderMessage is not null && loaderMessage.Contains(MissingVersion, StringComparison.Ordinal))
            return Lead + $"the system libstdc++ lacks {MissingVersion} and '{bindingPath}' was not patched for it " +
                   $"(loader: {loaderMessage}). Build the program with dotnet build or dotnet publish, which patch the copy in the " +
                   "output folder (the LoraDsl package's build targets; not with -p:LoraDslSkipNativePatch=true), " +
                   "or install libstdc++ from GCC 13 or newer (docs/native-compat.md).";
        return Lead + $"'{bindingPath}' or a library it needs did not load (loader: {loaderMessage ?? "it loads on its own, so TorchSharp's libtorch is what is missing"}). " +
               "Check that one libtorch package is referenced and restored: libtorch-cpu-linux-x64 (LoraDsl's default, left out with " +
               "LoraDslTorchBackend=none or cuda) or TorchSharp-cuda-linux (docs/install.md).";
    }

    static string? FindBinding(string directory)
    {
        var name = OperatingSystem.IsWindows() ? "LibTorchSharp.dll" : OperatingSystem.IsMacOS() ? "libLibTorchSharp.dylib" : "libLibTorchSharp.so";
        var beside = Path.Combine(directory, name);
        if (File.Exists(beside)) return beside;
        var ridSpecific = Path.Combine(directory, "runtimes", RuntimeInformation.RuntimeIdentifier, "native", name);
        if (File.Exists(ridSpecific)) return ridSpecific;
        var runtimes = Path.Combine(directory, "runtimes");
        return Directory.Exists(runtimes) ? Directory.EnumerateFiles(runtimes, name, SearchOption.AllDirectories).FirstOrDefault() : null;
    }

    // The dynamic loader's reason for refusing the library (e.g. "version `GLIBCXX_3.4.32' not found"), which
    // TorchSharp does not pass on; null when it loads (it then stays loaded, as TorchSharp needs it).
    static string? LoaderMessage(string path)
    {
        try
        {
            NativeLibrary.Load(path);
            return null;
        }
        catch (Exception e) when (e is DllNotFoundException or BadImageFormatException)
        {
            // .NET wraps dlerror's line in advice about strace and LD_DEBUG; the last line is the reason.
            return e.Message.Trim().Split('\n')[^1].Trim();
        }
    }
}
