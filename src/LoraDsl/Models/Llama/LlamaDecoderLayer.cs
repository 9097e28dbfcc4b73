using LoraDsl.Generation;
using LoraDsl.Modules;
using TorchSharp;
using static TorchSharp.torch;

namespace LoraDsl.Models.Llama;

/// <summary>Pre-norm decoder layer: x + attn(norm(x)), then h + mlp(norm(h)).</summary>
public sealed class LlamaDecoderLayer : nn.Module
{
    readonly RmsNorm input_layernorm;
    readonly LlamaAttention self_attn;
    readonly RmsNorm post_attention_layernorm;
    readonly LlamaMlp mlp;

    public LlamaDecoderLayer(LlamaConfig config, ScalarType dtype, Device device) : base(nameof(LlamaDecoderLayer))
    {
        input_layernorm = new RmsNorm(config.HiddenSize, config.RmsNormEps, dtype, device);
        self_attn = new LlamaAttention(config, dtype, device);
        post_attention_layernorm = new RmsNorm(config.HiddenSize, config.RmsNormEps, dtype, device);
        mlp = new LlamaMlp(config, dtype, device);
        RegisterComponents();
    }

    public Tensor Forward(Tensor hidden, Tensor cos, Tensor sin, Tensor? mask, bool isCausal, KvCache? cache, int layerIndex)
    {
        using var scope = NewDisposeScope();
        var attended = self_attn.Forward(input_layernorm.call(hidden), cos, sin, mask, isCausal, cache, layerIndex);
        var residual = hidden + attended;
        return (residual + mlp.call(post_attention_layernorm.call(residual))).MoveToOuterDisposeScope();
    }
}
