using LoraDsl.Generation;
using LoraDsl.Modules;
using TorchSharp;
using static TorchSharp.torch;

namespace LoraDsl.Models.Llama;

/// <summary>Multi-head self-attention with RoPE and grouped-query key/value heads.</summary>
public sealed class LlamaAttention : nn.Module, IModuleHost
{
    static readonly string[] ChildNames = ["q_proj", "k_proj", "v_proj", "o_proj"];

    readonly int heads;
    readonly int kvHeads;
    readonly int headDim;

    nn.Module<Tensor, Tensor> q_proj;
    nn.Module<Tensor, Tensor> k_proj;
    nn.Module<Tensor, Tensor> v_proj;
    nn.Module<Tensor, Tensor> o_proj;

    public LlamaAttention(LlamaConfig config, ScalarType dtype, Device device) : base(nameof(LlamaAttention))
    {
        heads = config.NumAttentionHeads;
        kvHeads = config.NumKeyValueHeads;
        headDim = config.HeadDim;
        q_proj = nn.Linear(config.HiddenSize, heads * headDim, config.QkvBias, device, dtype);
        k_proj = nn.Linear(config.HiddenSize, kvHeads * headDim, config.QkvBias, device, dtype);
        v_proj = nn.Linear(config.HiddenSize, kvHeads * headDim, config.QkvBias, device, dtype);
        o_proj = nn.Linear(heads * headDim, config.HiddenSize, config.OutputBias, device, dtype);
        RegisterComponents();
    }

    /// <summary>
    /// hidden [batch, seq, hidden] → [batch, seq, hidden]. Keys/values of this step join
    /// <paramref name="cache"/> (after RoPE, before head repetition) when one is given.
    /// </summary>
    public Tensor Forward(Tensor hidden, Tensor cos, Tensor sin, Tensor? mask, bool isCausal, KvCache? cache, int layerIndex)
    {
        using var scope = NewDisposeScope();
        var batch = hidden.shape[0];
        var seq = hidden.shape[1];
        var q = q_proj.call(hidden).view(batch, seq, heads, headDim).transpose(1, 2);
        var k = k_proj.call(hidden).view(batch, seq, kvHeads, headDim).transpose(1, 2);
        var v = v_proj.call(hidden).view(batch, seq, kvHeads, headDim).transpose(1, 2);
        q = LlamaRotaryEmbedding.Apply(q, cos, sin);
        k = LlamaRotaryEmbedding.Apply(k, cos, sin);
        if (cache is not null) (k, v) = cache.Append(layerIndex, k, v);
        var keys = RepeatHeads(k, heads / kvHeads);
        var values = RepeatHeads(v, heads / kvHeads);
        var attended = nn.functional.scaled_dot_product_attention(q, keys, values, mask, 0.0, isCausal);
        var merged = attended.transpose(1, 2).reshape(batch, seq, heads * headDim);
        return o_proj.call(merged).MoveToOuterDisposeScope();
    }

    /// <summary>[b, kv, s, d] → [b, kv·times, s, d], each kv head repeated for its group (SDPA has no GQA here).</summary>
    public static Tensor RepeatHeads(Tensor x, int times)
    {
        if (times == 1) return x.alias();
        var (b, kv, s, d) = (x.shape[0], x.shape[1], x.shape[2], x.shape[3]);
        return x.unsqueeze(2).expand(b, kv, times, s, d).reshape(b, kv * times, s, d);
    }

    public nn.Module<Tensor, Tensor> GetChild(string name) => name switch
    {
        "q_proj" => q_proj,
        "k_proj" => k_proj,
        "v_proj" => v_proj,
        "o_proj" => o_proj,
        _ => throw new ModuleNotFoundException($"LlamaAttention has no child '{name}' (children: {string.Join(", ", ChildNames)})."),
    };

    public nn.Module<Tensor, Tensor> ReplaceChild(string name, nn.Module<Tensor, Tensor> replacement)
    {
        var old = GetChild(name);
        this.SwapRegisteredChild(name, replacement);
        switch (name)
        {
            case "q_proj": q_proj = replacement; break;
            case "k_proj": k_proj = replacement; break;
            case "v_proj": v_proj = replacement; break;
            default: o_proj = replacement; break;
        }
        return old;
    }
}
