using LoraDsl.Generation;
using LoraDsl.Modules;
using TorchSharp;
using static TorchSharp.torch;

namespace LoraDsl.Models.Llama;

/// <summary>
/// Multi-head self-attention with RoPE and grouped-query key/value heads. Family options: one fused
/// <c>qkv_proj</c> (Phi-3), per-head <c>q_norm</c>/<c>k_norm</c> (Qwen3, Gemma 3), a query scale other than
/// 1/√head_dim and soft-capped scores (Gemma 2).
/// </summary>
internal sealed class LlamaAttention : nn.Module, IModuleHost, IFusedOutputs
{
    readonly int heads;
    readonly int kvHeads;
    readonly int headDim;
    readonly double? scale;
    readonly double? softcap;
    readonly string[] childNames;

    nn.Module<Tensor, Tensor>? q_proj;
    nn.Module<Tensor, Tensor>? k_proj;
    nn.Module<Tensor, Tensor>? v_proj;
    nn.Module<Tensor, Tensor>? qkv_proj;
    nn.Module<Tensor, Tensor> o_proj;
    readonly RmsNorm? q_norm;
    readonly RmsNorm? k_norm;

    public LlamaAttention(LlamaConfig config, ScalarType dtype, Device device) : base(nameof(LlamaAttention))
    {
        heads = config.NumAttentionHeads;
        kvHeads = config.NumKeyValueHeads;
        headDim = config.HeadDim;
        scale = config.AttentionScale;
        softcap = config.AttentionLogitSoftcap;
        if (config.FusedProjections)
        {
            qkv_proj = nn.Linear(config.HiddenSize, (heads + 2 * kvHeads) * headDim, config.QkvBias, device, dtype);
            childNames = ["qkv_proj", "o_proj"];
        }
        else
        {
            q_proj = nn.Linear(config.HiddenSize, heads * headDim, config.QkvBias, device, dtype);
            k_proj = nn.Linear(config.HiddenSize, kvHeads * headDim, config.QkvBias, device, dtype);
            v_proj = nn.Linear(config.HiddenSize, kvHeads * headDim, config.QkvBias, device, dtype);
            childNames = ["q_proj", "k_proj", "v_proj", "o_proj"];
        }
        o_proj = nn.Linear(heads * headDim, config.HiddenSize, config.OutputBias, device, dtype);
        if (config.QkNorm)
        {
            q_norm = new RmsNorm(headDim, config.RmsNormEps, dtype, device, config.GemmaStyle);
            k_norm = new RmsNorm(headDim, config.RmsNormEps, dtype, device, config.GemmaStyle);
        }
        RegisterComponents();
    }

    /// <summary>Output rows of the fused qkv_proj per part (Q, K, V): unequal under grouped-query attention.</summary>
    public IReadOnlyList<long>? FusedPartRows(string name) =>
        name == "qkv_proj" && qkv_proj is not null ? [heads * headDim, kvHeads * headDim, kvHeads * headDim] : null;

    /// <summary>
    /// hidden [batch, seq, hidden] → [batch, seq, hidden]. Keys/values of this step join
    /// <paramref name="cache"/> (after RoPE, before head repetition) when one is given.
    /// </summary>
    public Tensor Forward(Tensor hidden, Tensor cos, Tensor sin, Tensor? mask, bool isCausal, KvCache? cache, int layerIndex)
    {
        using var scope = NewDisposeScope();
        var batch = hidden.shape[0];
        var seq = hidden.shape[1];
        Tensor q, k, v;
        if (qkv_proj is not null)
        {
            var parts = UpcastLinear.Call(qkv_proj, hidden).split([heads * headDim, kvHeads * headDim, kvHeads * headDim], -1);
            (q, k, v) = (parts[0], parts[1], parts[2]);
        }
        else
        {
            (q, k, v) = (UpcastLinear.Call(q_proj!, hidden), UpcastLinear.Call(k_proj!, hidden), UpcastLinear.Call(v_proj!, hidden));
        }
        q = q.reshape(batch, seq, heads, headDim);
        k = k.reshape(batch, seq, kvHeads, headDim);
        if (q_norm is not null) q = q_norm.call(q);
        if (k_norm is not null) k = k_norm.call(k);
        q = q.transpose(1, 2);
        k = k.transpose(1, 2);
        v = v.reshape(batch, seq, kvHeads, headDim).transpose(1, 2);
        q = LlamaRotaryEmbedding.Apply(q, cos, sin);
        k = LlamaRotaryEmbedding.Apply(k, cos, sin);
        if (cache is not null) (k, v) = cache.Append(layerIndex, k, v);
        var keys = RepeatHeads(k, heads / kvHeads);
        var values = RepeatHeads(v, heads / kvHeads);
        Tensor attended;
        if (softcap is { } cap)
        {
            attended = SoftcappedAttention(q, keys, values, mask, isCausal, scale ?? 1.0 / Math.Sqrt(headDim), cap);
        }
        else
        {
            // SDPA scales by 1/√head_dim; another scale is folded into the queries.
            if (scale is { } s) q = q * (s * Math.Sqrt(headDim));
            attended = BFloat16Matmul.ScaledDotProductAttention(q, keys, values, mask, isCausal);
        }
        var merged = attended.transpose(1, 2).reshape(batch, seq, heads * headDim);
        return UpcastLinear.Call(o_proj, merged).MoveToOuterDisposeScope();
    }

    /// <summary>Gemma 2's eager attention: softmax(mask(c·tanh(scale·q·kᵀ / c))) · v, the softmax in float32.</summary>
    static Tensor SoftcappedAttention(Tensor q, Tensor k, Tensor v, Tensor? mask, bool isCausal, double scale, double cap)
    {
        var scores = q.matmul(k.transpose(-2, -1)).mul(scale).div(cap).tanh().mul(cap);
        if (isCausal)
        {
            var (queries, keys) = (scores.shape[^2], scores.shape[^1]);
            mask = ones(queries, keys, ScalarType.Bool, q.device).tril(keys - queries);
        }
        if (mask is not null) scores = scores.masked_fill(mask.logical_not(), double.NegativeInfinity);
        var weights = scores.softmax(-1, ScalarType.Float32).to(v.dtype);
        return weights.matmul(v);
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
        "q_proj" when q_proj is not null => q_proj,
        "k_proj" when k_proj is not null => k_proj,
        "v_proj" when v_proj is not null => v_proj,
        "qkv_proj" when qkv_proj is not null => qkv_proj,
        "o_proj" => o_proj,
        _ => throw new ModuleNotFoundException($"LlamaAttention has no replaceable child '{name}' (children: {string.Join(", ", childNames)})."),
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
            case "qkv_proj": qkv_proj = replacement; break;
            default: o_proj = replacement; break;
        }
        return old;
    }
}
