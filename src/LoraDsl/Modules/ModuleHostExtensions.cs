using TorchSharp;
using static TorchSharp.torch;

namespace LoraDsl.Modules;

/// <summary>The one correct way to swap a registered child in TorchSharp, for <see cref="IModuleHost"/> implementations.</summary>
internal static class ModuleHostExtensions
{
    /// <summary>
    /// Unregisters <paramref name="name"/> and registers <paramref name="replacement"/> under it
    /// (TorchSharp throws on re-registering an existing name). The caller then updates its field.
    /// </summary>
    public static void SwapRegisteredChild(this nn.Module host, string name, nn.Module replacement)
    {
        host.register_module(name, null!);
        host.register_module(name, replacement);
    }
}
