using LoraDsl.Generation;
using LoraDsl.Modules;
using TorchSharp;
using static TorchSharp.torch;

namespace LoraDsl.Models.Llama;

/// <summary>
/// Pre-norm decoder layer: x + attn(norm(x)), then h + mlp(norm(h)). Gemma normalises each branch's output too:
/// x + post_attention_layernorm(attn(input_layernorm(x))), then h + post_feedforward_layernorm(mlp(pre_feedforward_layernorm(h))).
/// </summary>
internal sealed class LlamaDecoderLayer : nn.Module
{
    readonly RmsNorm input_layernorm;
    readonly LlamaAttention self_attn;
    readonly RmsNorm post_attention_layernorm;
    readonly RmsNorm? pre_feedforward_layernorm;
    readonly RmsNorm? post_feedforward_layernorm;
    readonly LlamaMlp mlp;

    public LlamaDecoderLayer(LlamaConfig config, ScalarType dtype, Device device) : base(nameof(LlamaDecoderLayer))
    {
        var gemma = config.GemmaStyle;
        input_layernorm = new RmsNorm(config.HiddenSize, config.RmsNormEps, dtype, device, gemma);
        self_attn = new LlamaAttention(config, dtype, device);
        post_attention_layernorm = new RmsNorm(config.HiddenSize, config.RmsNormEps, dtype, device, gemma);
        if (gemma)
        {
            pre_feedforward_layernorm = new RmsNorm(config.HiddenSize, config.RmsNormEps, dtype, device, gemma);
            post_feedforward_layernorm = new RmsNorm(config.HiddenSize, config.RmsNormEps, dtype, device, gemma);
        }
        mlp = new LlamaMlp(config, dtype, device);
        RegisterComponents();
    }

    public Tensor Forward(Tensor hidden, Tensor cos, Tensor sin, Tensor? mask, bool isCausal, KvCache? cache, int layerIndex)
    {
        using var scope = NewDisposeScope();
        var attended = self_attn.Forward(input_layernorm.call(hidden), cos, sin, mask, isCausal, cache, layerIndex);
        if (pre_feedforward_layernorm is null || post_feedforward_layernorm is null)
        {
            var residual = hidden + attended;
            return (residual + mlp.call(post_attention_layernorm.call(residual))).MoveToOuterDisposeScope();
        }
        var afterAttention = hidden + post_attention_layernorm.call(attended);
        var fed = post_feedforward_layernorm.call(mlp.call(pre_feedforward_layernorm.call(afterAttention)));
        return (afterAttention + fed).MoveToOuterDisposeScope();
    }
}
