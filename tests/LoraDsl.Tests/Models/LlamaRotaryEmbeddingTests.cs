using LoraDsl.Models.Llama;
using LoraDsl.Tests.TestCheckpoints;
using Xunit;
using static TorchSharp.torch;

namespace LoraDsl.Tests.Models;

public class LlamaRotaryEmbeddingTests
{
    static LlamaConfig Config() =>
        LlamaConfig.FromJson(TinyCheckpoints.LlamaConfig(new TinyLlamaSpec { Hidden = 32, Heads = 2, KvHeads = 2, RopeTheta = 10000 }), "/models/x/config.json");

    [Fact]
    public void Rope_turns_each_pair_by_its_angle_and_its_gradient_is_the_inverse_turn()
    {
        manual_seed(3);
        var config = Config();
        var d = config.HeadDim;
        using var positions = arange(5L).unsqueeze(0);
        var (cos, sin) = LlamaRotaryEmbedding.CosSin(positions, config, ScalarType.Float64);
        using var x = randn([1, 2, 5, d], ScalarType.Float64).requires_grad_(true);
        using var g = randn([1, 2, 5, d], ScalarType.Float64);
        using var y = LlamaRotaryEmbedding.Apply(x, cos, sin);

        // Pair (a, b) = (x[i], x[i + d/2]) at position p turns by p·θ^(-2i/d): (a·c − b·s, b·c + a·s). The angles are
        // float32 as HF computes them (LlamaRopeScalingTests checks them); cos and sin of the first half are the pairs'.
        using var angles = positions.to(ScalarType.Float64).unsqueeze(-1) * tensor(Enumerable.Range(0, d / 2).Select(i => Math.Pow(10000, -2.0 * i / d)).ToArray());
        Assert.True(cos[.., .., .., ..(d / 2)].allclose(angles.cos().unsqueeze(1), rtol: 0, atol: 1e-5));
        Assert.True(cos[.., .., .., (d / 2)..].allclose(cos[.., .., .., ..(d / 2)], rtol: 0, atol: 0));
        Assert.True(sin[.., .., .., (d / 2)..].allclose(sin[.., .., .., ..(d / 2)], rtol: 0, atol: 0));
        var (c, s) = (cos[.., .., .., ..(d / 2)], sin[.., .., .., ..(d / 2)]);
        var (a, b) = (x.detach()[.., .., .., ..(d / 2)], x.detach()[.., .., .., (d / 2)..]);
        using var expected = cat(new[] { a * c - b * s, b * c + a * s }, -1);
        Assert.True(y.detach().allclose(expected, rtol: 0, atol: 1e-12));

        // The gradient of ⟨y, g⟩ is the turn by −angle applied to g: (ga·c + gb·s, gb·c − ga·s).
        (y * g).sum().backward();
        var (ga, gb) = (g[.., .., .., ..(d / 2)], g[.., .., .., (d / 2)..]);
        using var expectedGrad = cat(new[] { ga * c + gb * s, gb * c - ga * s }, -1);
        using var grad = x.grad!;
        Assert.True(grad.allclose(expectedGrad, rtol: 0, atol: 1e-12));
        cos.Dispose();
        sin.Dispose();
    }
}
