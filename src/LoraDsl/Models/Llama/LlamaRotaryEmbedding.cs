using TorchSharp;
using static TorchSharp.torch;

namespace LoraDsl.Models.Llama;

/// <summary>Rotary position embedding with HF's rotate_half layout (first half / second half of each head).</summary>
public static class LlamaRotaryEmbedding
{
    static readonly Scalar One = 1.0;

    /// <summary>The rotary frequency of each pair, θ^(-2i/d), after rope_scaling; float32 [head_dim / 2].</summary>
    public static Tensor InverseFrequency(LlamaConfig config, Device device)
    {
        var frequencies = new float[config.HeadDim / 2];
        for (var i = 0; i < frequencies.Length; i++)
        {
            var f = Math.Pow(config.RopeTheta, -2.0 * i / config.HeadDim);
            frequencies[i] = (float)(config.RopeScaling?.Scale(f) ?? f);
        }
        return tensor(frequencies, ScalarType.Float32, device);
    }

    /// <summary>cos and sin [batch, 1, seq, head_dim] for <paramref name="positionIds"/> [batch, seq], in <paramref name="dtype"/>.</summary>
    public static (Tensor Cos, Tensor Sin) CosSin(Tensor positionIds, LlamaConfig config, ScalarType dtype)
    {
        using var scope = NewDisposeScope();
        // Angles in float32 as HF computes them; cast at the end.
        var inverseFrequency = InverseFrequency(config, positionIds.device);
        var angles = positionIds.to(ScalarType.Float32).unsqueeze(-1) * inverseFrequency;
        var doubled = cat(new[] { angles, angles }, -1).unsqueeze(1);
        var cos = doubled.cos().to(dtype).MoveToOuterDisposeScope();
        var sin = doubled.sin().to(dtype).MoveToOuterDisposeScope();
        return (cos, sin);
    }

    /// <summary>x * cos + rotate_half(x) * sin for x [batch, heads, seq, head_dim].</summary>
    public static Tensor Apply(Tensor x, Tensor cos, Tensor sin)
    {
        using var scope = NewDisposeScope();
        // rotate_half(x)·sin = roll(x, half)·[−sin₁, sin₂]: one roll and one fused multiply-add instead of
        // slices, a negation, a concatenation, two products and a sum over [batch, heads, seq, head_dim].
        var half = x.shape[^1] / 2;
        var signedSin = cat(new[] { sin[TensorIndex.Ellipsis, TensorIndex.Slice(0, half)].neg(), sin[TensorIndex.Ellipsis, TensorIndex.Slice(half, null)] }, -1);
        var rolled = x.roll(half, -1);
        return x.mul(cos).addcmul_(rolled, signedSin, One).MoveToOuterDisposeScope();
    }
}
