using LoraDsl.Generation;
using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace LoraDsl.Models.Gpt2;

/// <summary>GPT-2 block: x + attn(ln_1(x)), then h + mlp(ln_2(h)).</summary>
internal sealed class Gpt2Block : nn.Module
{
    readonly LayerNorm ln_1;
    readonly Gpt2Attention attn;
    readonly LayerNorm ln_2;
    readonly Gpt2Mlp mlp;

    public Gpt2Block(Gpt2Config config, ScalarType dtype, Device device) : base(nameof(Gpt2Block))
    {
        ln_1 = nn.LayerNorm(config.HiddenSize, config.LayerNormEpsilon, device: device, dtype: dtype);
        attn = new Gpt2Attention(config, dtype, device);
        ln_2 = nn.LayerNorm(config.HiddenSize, config.LayerNormEpsilon, device: device, dtype: dtype);
        mlp = new Gpt2Mlp(config, dtype, device);
        RegisterComponents();
    }

    public Tensor Forward(Tensor hidden, Tensor? mask, bool isCausal, KvCache? cache, int layerIndex)
    {
        using var scope = NewDisposeScope();
        var residual = hidden + attn.Forward(ln_1.call(hidden), mask, isCausal, cache, layerIndex);
        return (residual + mlp.call(ln_2.call(residual))).MoveToOuterDisposeScope();
    }
}
