using TorchSharp;
using static TorchSharp.torch;

namespace LoraDsl.Models.Llama;

/// <summary>
/// Rotary position embedding with HF's rotate_half layout (first half / second half of the rotary part of each head);
/// a partial rotary dimension (Phi-4-mini) leaves the head's remaining dimensions unturned.
/// </summary>
internal static class LlamaRotaryEmbedding
{
    static readonly Scalar One = 1.0;

    /// <summary>The rotary frequency of each pair, θ^(-2i/d), after rope_scaling; float32 [rotary_dim / 2].</summary>
    public static Tensor InverseFrequency(LlamaConfig config, Device device) => InverseFrequency(config, device, local: false, longSequence: false);

    /// <summary>
    /// As <see cref="InverseFrequency(LlamaConfig, Device)"/> for a sliding layer's local base (<paramref name="local"/>,
    /// Gemma 3: no rope_scaling there) or LongRoPE's long factors (<paramref name="longSequence"/>).
    /// </summary>
    public static Tensor InverseFrequency(LlamaConfig config, Device device, bool local, bool longSequence)
    {
        var dim = config.RotaryDimension;
        var theta = local ? config.LocalRopeTheta ?? config.RopeTheta : config.RopeTheta;
        var scaling = local ? null : config.RopeScaling;
        var frequencies = new float[dim / 2];
        for (var i = 0; i < frequencies.Length; i++)
        {
            var f = Math.Pow(theta, -2.0 * i / dim);
            frequencies[i] = (float)(scaling?.Scale(f, i, longSequence) ?? f);
        }
        return tensor(frequencies, ScalarType.Float32, device);
    }

    /// <summary>cos and sin [batch, 1, seq, rotary_dim] for <paramref name="positionIds"/> [batch, seq], in <paramref name="dtype"/>.</summary>
    public static (Tensor Cos, Tensor Sin) CosSin(Tensor positionIds, LlamaConfig config, ScalarType dtype) => CosSin(positionIds, config, dtype, local: false);

    /// <summary>As <see cref="CosSin(Tensor, LlamaConfig, ScalarType)"/>, with the local RoPE base when <paramref name="local"/>.</summary>
    public static (Tensor Cos, Tensor Sin) CosSin(Tensor positionIds, LlamaConfig config, ScalarType dtype, bool local)
    {
        using var scope = NewDisposeScope();
        var scaling = local ? null : config.RopeScaling;
        // LongRoPE switches to its long factors once the sequence passes the original context (transformers' dynamic update).
        var longSequence = scaling is { IsLongRope: true } && positionIds.numel() > 0
            && Native.HostMemory.Item<long>(positionIds.max()) + 1 > scaling.OriginalMaxPositions;
        // Angles in float32 as HF computes them; cast at the end.
        var inverseFrequency = InverseFrequency(config, positionIds.device, local, longSequence);
        var angles = positionIds.to(ScalarType.Float32).unsqueeze(-1) * inverseFrequency;
        var doubled = cat(new[] { angles, angles }, -1).unsqueeze(1);
        var factor = scaling?.AttentionFactor ?? 1.0;
        var cos = doubled.cos();
        var sin = doubled.sin();
        if (factor != 1.0)
        {
            cos = cos * factor;
            sin = sin * factor;
        }
        return (cos.to(dtype).MoveToOuterDisposeScope(), sin.to(dtype).MoveToOuterDisposeScope());
    }

    /// <summary>x * cos + rotate_half(x) * sin for x [batch, heads, seq, head_dim] on the first cos.shape[-1] dimensions.</summary>
    public static Tensor Apply(Tensor x, Tensor cos, Tensor sin)
    {
        using var scope = NewDisposeScope();
        var rotary = cos.shape[^1];
        if (rotary < x.shape[^1])
        {
            var turned = Apply(x[TensorIndex.Ellipsis, TensorIndex.Slice(0, rotary)], cos, sin);
            return cat(new[] { turned, x[TensorIndex.Ellipsis, TensorIndex.Slice(rotary, null)] }, -1).MoveToOuterDisposeScope();
        }
        // rotate_half(x)·sin = roll(x, half)·[−sin₁, sin₂]: one roll and one fused multiply-add instead of
        // slices, a negation, a concatenation, two products and a sum over [batch, heads, seq, head_dim].
        var half = x.shape[^1] / 2;
        var signedSin = cat(new[] { sin[TensorIndex.Ellipsis, TensorIndex.Slice(0, half)].neg(), sin[TensorIndex.Ellipsis, TensorIndex.Slice(half, null)] }, -1);
        var rolled = x.roll(half, -1);
        return x.mul(cos).addcmul_(rolled, signedSin, One).MoveToOuterDisposeScope();
    }
}
