using TorchSharp;
using static TorchSharp.torch;

namespace LoraDsl.Modules;

/// <summary>
/// A module whose children can be swapped (LoRA wrappers, quantised weights) without reflection.
/// Implementations replace the registered child and the field their forward uses, together.
/// </summary>
internal interface IModuleHost
{
    /// <summary>The child named <paramref name="name"/> (its state-dict name, e.g. "q_proj").</summary>
    nn.Module<Tensor, Tensor> GetChild(string name);

    /// <summary>Replaces the child named <paramref name="name"/>; the old module is returned, not disposed.</summary>
    nn.Module<Tensor, Tensor> ReplaceChild(string name, nn.Module<Tensor, Tensor> replacement);
}
