using LoraDsl.Generation;
using LoraDsl.Modules;
using TorchSharp;
using static TorchSharp.torch;

namespace LoraDsl.Models.Gpt2;

/// <summary>GPT-2 self-attention: fused q/k/v in c_attn (Conv1D [in, 3·in]), output c_proj.</summary>
internal sealed class Gpt2Attention : nn.Module, IModuleHost
{
    readonly int heads;
    readonly int headDim;
    nn.Module<Tensor, Tensor> c_attn;
    nn.Module<Tensor, Tensor> c_proj;

    public Gpt2Attention(Gpt2Config config, ScalarType dtype, Device device) : base(nameof(Gpt2Attention))
    {
        heads = config.NumHeads;
        headDim = config.HiddenSize / config.NumHeads;
        c_attn = new Conv1D(config.HiddenSize, 3L * config.HiddenSize).to(dtype).to(device);
        c_proj = new Conv1D(config.HiddenSize, config.HiddenSize).to(dtype).to(device);
        RegisterComponents();
    }

    public Tensor Forward(Tensor hidden, Tensor? mask, bool isCausal, KvCache? cache, int layerIndex)
    {
        using var scope = NewDisposeScope();
        var (batch, seq, width) = (hidden.shape[0], hidden.shape[1], hidden.shape[2]);
        var qkv = c_attn.call(hidden).split(width, 2);
        var q = qkv[0].view(batch, seq, heads, headDim).transpose(1, 2);
        var k = qkv[1].view(batch, seq, heads, headDim).transpose(1, 2);
        var v = qkv[2].view(batch, seq, heads, headDim).transpose(1, 2);
        if (cache is not null) (k, v) = cache.Append(layerIndex, k, v);
        var attended = BFloat16Matmul.ScaledDotProductAttention(q, k, v, mask, isCausal);
        var merged = attended.transpose(1, 2).reshape(batch, seq, width);
        return c_proj.call(merged).MoveToOuterDisposeScope();
    }

    public nn.Module<Tensor, Tensor> GetChild(string name) => name switch
    {
        "c_attn" => c_attn,
        "c_proj" => c_proj,
        _ => throw new ModuleNotFoundException($"Gpt2Attention has no child '{name}' (children: c_attn, c_proj)."),
    };

    public nn.Module<Tensor, Tensor> ReplaceChild(string name, nn.Module<Tensor, Tensor> replacement)
    {
        var old = GetChild(name);
        this.SwapRegisteredChild(name, replacement);
        if (name == "c_attn") c_attn = replacement;
        else c_proj = replacement;
        return old;
    }
}
