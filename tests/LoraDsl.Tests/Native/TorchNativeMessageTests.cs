using LoraDsl.Native;
using Xunit;

namespace LoraDsl.Tests.Native;

/// <summary>What a failed libtorch load tells the user: the loader's reason and the one fix that applies.</summary>
public sealed class TorchNativeMessageTests
{
    const string Binding = "/app/runtimes/linux-x64/native/libLibTorchSharp.so";

    [Fact]
    public void UnpatchedBindingOnOldLibstdcxx_SaysToBuildWithThePackageTargetsOrUpgrade()
    {
        var loader = $"{Binding}: /lib/x86_64-linux-gnu/libstdc++.so.6: version `GLIBCXX_3.4.32' not found (required by {Binding})";
        var message = TorchNative.Explain(Binding, loader);
        Assert.StartsWith("libtorch could not be loaded: the system libstdc++ lacks GLIBCXX_3.4.32", message);
        Assert.Contains(loader, message);
        Assert.Contains("LoraDslSkipNativePatch", message);
        Assert.Contains("GCC 13", message);
        Assert.DoesNotContain("doesn't contain a reference", message);
    }

    [Fact]
    public void MissingLibtorch_NamesTheLoaderReasonAndThePackages()
    {
        var loader = "libtorch_cpu.so: cannot open shared object file: No such file or directory";
        var message = TorchNative.Explain(Binding, loader);
        Assert.Contains($"'{Binding}' or a library it needs did not load (loader: {loader})", message);
        Assert.Contains("libtorch-cpu-linux-x64", message);
        Assert.Contains("TorchSharp-cuda-linux", message);
        Assert.DoesNotContain("GLIBCXX", message);
    }

    [Fact]
    public void NoBindingInTheOutput_SaysToReferenceLoraDslAndBuild()
    {
        var message = TorchNative.Explain(null, null);
        Assert.Contains("libLibTorchSharp is not in", message);
        Assert.Contains("Reference the LoraDsl package", message);
    }
}
