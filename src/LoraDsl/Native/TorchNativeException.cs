namespace LoraDsl.Native;

/// <summary>
/// libtorch could not be loaded. The message says why (the dynamic loader's own words) and what to
/// install or rebuild; TorchSharp's exception is not kept as the inner one, because its text names a
/// missing package even when the package is there (the GLIBCXX_3.4.32 case).
/// </summary>
public sealed class TorchNativeException(string message) : Exception(message);
