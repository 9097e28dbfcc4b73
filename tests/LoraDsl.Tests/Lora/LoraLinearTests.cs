using LoraDsl.Lora;
using LoraDsl.Modules;
using LoraDsl.Tests.Lora.TestModels;
using TorchSharp;
using Xunit;
using static TorchSharp.torch;

namespace LoraDsl.Tests.Lora;

public class LoraLinearTests
{
    static readonly LoraOptions Options = new() { Rank = 4, Alpha = 8, Dropout = 0 };

    /// <summary>Gives B (and A) random values so the LoRA branch is not a no-op.</summary>
    internal static void Randomize(LoraAdapter adapter, int seed)
    {
        using var _ = no_grad();
        var generator = new Generator((ulong)seed);
        using var a = randn(adapter.A.shape, generator: generator);
        using var b = randn(adapter.B.shape, generator: generator);
        adapter.A.copy_(a);
        adapter.B.copy_(b);
    }

    static (LoraLinear Layer, LoraAdapter Adapter) Wrapped(nn.Module<Tensor, Tensor> baseLayer, LoraOptions options, OutputSlice? slice = null, int seed = 3)
    {
        var layer = new LoraLinear(baseLayer, "test.proj");
        var adapter = layer.AddAdapter("default", options, slice is { } s ? [s] : null);
        Randomize(adapter, seed);
        layer.eval();
        return (layer, adapter);
    }

    [Fact]
    public void Zero_initialised_B_leaves_the_output_unchanged()
    {
        manual_seed(0);
        var linear = nn.Linear(8, 6);
        using var x = randn(2, 3, 8);
        using var before = linear.call(x);
        var layer = new LoraLinear(linear, "p");
        layer.AddAdapter("default", Options);
        using var after = layer.call(x);
        Assert.True(Identical.Tensors(after, before));
    }

    [Fact]
    public void Linear_forward_equals_the_direct_formula()
    {
        manual_seed(0);
        var linear = nn.Linear(8, 6);
        var (layer, adapter) = Wrapped(linear, Options);
        using var x = randn(2, 3, 8);
        using var expected = matmul(x, linear.weight.t()) + linear.bias! + 2.0 * matmul(matmul(x, adapter.A.t()), adapter.B.t());
        using var actual = layer.call(x);
        Assert.True(actual.allclose(expected, rtol: 1e-5, atol: 1e-5));
    }

    [Fact]
    public void Adapter_gradients_through_the_fused_addmm_equal_the_direct_formula()
    {
        manual_seed(0);
        var conv = new Conv1D(8, 12);
        var (layer, adapter) = Wrapped(conv, Options);
        using var x = randn(2, 3, 8);
        using var upstream = randn(2, 3, 12);
        using (var y = layer.call(x)) (y * upstream).sum().backward();
        using var gotA = adapter.A.grad!.clone();
        using var gotB = adapter.B.grad!.clone();

        using var a = adapter.A.detach().clone().requires_grad_(true);
        using var b = adapter.B.detach().clone().requires_grad_(true);
        using (var y = matmul(x, conv.Weight.detach()) + conv.Bias!.detach() + 2.0 * matmul(matmul(x, a.t()), b.t())) (y * upstream).sum().backward();
        Assert.True(gotA.allclose(a.grad!, rtol: 1e-5, atol: 1e-5), "lora_A gradient differs");
        Assert.True(gotB.allclose(b.grad!, rtol: 1e-5, atol: 1e-5), "lora_B gradient differs");
    }

    [Fact]
    public void Conv1D_forward_equals_the_direct_formula()
    {
        manual_seed(0);
        var conv = new Conv1D(8, 12);
        var (layer, adapter) = Wrapped(conv, Options);
        Assert.True(layer.Base.FanInFanOut);
        Assert.Equal([4L, 8L], adapter.A.shape);
        Assert.Equal([12L, 4L], adapter.B.shape);
        using var x = randn(2, 3, 8);
        using var expected = matmul(x, conv.Weight) + conv.Bias! + 2.0 * matmul(matmul(x, adapter.A.t()), adapter.B.t());
        using var actual = layer.call(x);
        Assert.True(actual.allclose(expected, rtol: 1e-5, atol: 1e-5));
    }

    public static TheoryData<string> Kinds => ["linear", "conv1d", "slice", "dora", "rslora"];

    static (LoraLinear Layer, LoraAdapter Adapter) Build(string kind)
    {
        manual_seed(0);
        return kind switch
        {
            "linear" => Wrapped(nn.Linear(8, 6), Options),
            "conv1d" => Wrapped(new Conv1D(8, 12), Options),
            "slice" => Wrapped(new Conv1D(8, 12), Options, new OutputSlice(4, 4)),
            "dora" => Wrapped(nn.Linear(8, 6), Options with { UseDora = true }),
            "rslora" => Wrapped(nn.Linear(8, 6), Options with { UseRsLora = true }),
            _ => throw new ArgumentException(kind),
        };
    }

    [Theory]
    [MemberData(nameof(Kinds))]
    public void Merged_output_equals_unmerged_output(string kind)
    {
        var (layer, _) = Build(kind);
        using var x = randn(2, 3, 8);
        using var unmerged = layer.call(x);
        layer.Merge();
        Assert.True(layer.IsMerged);
        using var merged = layer.call(x);
        Assert.True(merged.allclose(unmerged, rtol: 1e-5, atol: 1e-5), $"{kind}: max diff {(merged - unmerged).abs().max().item<float>()}");
    }

    [Theory]
    [MemberData(nameof(Kinds))]
    public void Unmerge_restores_the_base_weight(string kind)
    {
        var (layer, _) = Build(kind);
        using var original = layer.Base.WeightOutIn();
        layer.Merge();
        using (var merged = layer.Base.WeightOutIn()) Assert.False(merged.allclose(original, atol: 1e-3));
        layer.Unmerge();
        Assert.False(layer.IsMerged);
        using var restored = layer.Base.WeightOutIn();
        Assert.True(restored.allclose(original, rtol: 1e-5, atol: 1e-6));
    }

    [Fact]
    public void Conv1D_merge_adds_the_transposed_delta()
    {
        var (layer, adapter) = Build("conv1d");
        var stored = ((Conv1D)layer.Base.Module).Weight;
        using var original = stored.detach().clone();
        layer.Merge();
        using var delta = matmul(adapter.B, adapter.A) * adapter.Scaling;
        using var expected = original + delta.t();
        Assert.Equal([8L, 12L], stored.shape);
        Assert.True(stored.allclose(expected, rtol: 1e-6, atol: 1e-6));
    }

    [Fact]
    public void A_slice_changes_only_its_output_rows()
    {
        manual_seed(0);
        var conv = new Conv1D(8, 12);
        using var x = randn(2, 3, 8);
        using var baseOut = conv.call(x);
        var (layer, adapter) = Wrapped(conv, Options, new OutputSlice(4, 4));
        Assert.Equal([4L, 4L], adapter.B.shape);
        using var y = layer.call(x);
        Assert.True(Identical.Tensors(y[.., .., ..4], baseOut[.., .., ..4]));
        Assert.True(Identical.Tensors(y[.., .., 8..], baseOut[.., .., 8..]));
        using var expectedRows = baseOut[.., .., 4..8] + 2.0 * matmul(matmul(x, adapter.A.t()), adapter.B.t());
        Assert.True(y[.., .., 4..8].allclose(expectedRows, rtol: 1e-5, atol: 1e-5));
        using var fullB = adapter.FullB();
        Assert.Equal([12L, 4L], fullB.shape);
        Assert.Equal(0, fullB[..4].count_nonzero().item<long>());
        Assert.Equal(0, fullB[8..].count_nonzero().item<long>());
        Assert.True(Identical.Tensors(fullB[4..8], adapter.B));
    }

    [Fact]
    public void A_slice_that_does_not_fit_is_rejected()
    {
        var layer = new LoraLinear(new Conv1D(8, 12), "transformer.h.0.attn.c_attn");
        var e = Assert.Throws<ArgumentException>(() => layer.AddAdapter("default", Options, [new OutputSlice(8, 8)]));
        Assert.Contains("[8, 16)", e.Message);
    }

    [Fact]
    public void RsLora_scales_by_alpha_over_the_square_root_of_r()
    {
        var (layer, adapter) = Build("rslora");
        Assert.Equal(8 / Math.Sqrt(4), adapter.Scaling, 12);
        var linear = (TorchSharp.Modules.Linear)layer.Base.Module;
        using var x = randn(5, 8);
        using var expected = matmul(x, linear.weight.t()) + linear.bias! + 4.0 * matmul(matmul(x, adapter.A.t()), adapter.B.t());
        using var actual = layer.call(x);
        Assert.True(actual.allclose(expected, rtol: 1e-5, atol: 1e-5));
    }

    [Fact]
    public void Default_init_is_kaiming_uniform_and_gaussian_init_has_std_one_over_r()
    {
        manual_seed(0);
        var layer = new LoraLinear(nn.Linear(64, 64), "p");
        var uniform = layer.AddAdapter("default", Options);
        var bound = 1 / Math.Sqrt(64);
        Assert.True(uniform.A.abs().max().item<float>() <= bound + 1e-7);
        Assert.True(uniform.A.abs().max().item<float>() > bound * 0.8);
        Assert.Equal(0, uniform.B.count_nonzero().item<long>());
        var gaussian = layer.AddAdapter("g", Options with { Init = LoraInit.Gaussian });
        var std = gaussian.A.std().item<float>();
        Assert.InRange(std, 0.25 * 0.8, 0.25 * 1.2);
    }

    [Fact]
    public void A_bf16_base_keeps_fp32_adapter_weights_and_returns_bf16()
    {
        manual_seed(0);
        var linear = nn.Linear(8, 6);
        linear.to(ScalarType.BFloat16);
        var (layer, adapter) = Wrapped(linear, Options);
        Assert.Equal(ScalarType.Float32, adapter.A.dtype);
        Assert.Equal(ScalarType.Float32, adapter.B.dtype);
        using var x = randn(2, 8).to(ScalarType.BFloat16);
        using var y = layer.call(x);
        Assert.Equal(ScalarType.BFloat16, y.dtype);
        using var xf = x.to(ScalarType.Float32);
        using var expected = linear.call(x).to(ScalarType.Float32) + 2.0 * matmul(matmul(xf, adapter.A.t()), adapter.B.t());
        Assert.True(y.to(ScalarType.Float32).allclose(expected, rtol: 2e-2, atol: 2e-2));
    }

    [Fact]
    public void Several_adapters_live_on_one_layer_and_the_active_ones_are_summed()
    {
        manual_seed(0);
        var linear = nn.Linear(8, 6);
        var layer = new LoraLinear(linear, "p");
        var first = layer.AddAdapter("default", Options);
        var second = layer.AddAdapter("other", Options with { Rank = 2 });
        Randomize(first, 1);
        Randomize(second, 2);
        Assert.Equal(["default"], layer.ActiveAdapters);
        using var x = randn(3, 8);
        using var baseOut = linear.call(x);
        using var d1 = 2.0 * matmul(matmul(x, first.A.t()), first.B.t());
        using var d2 = 4.0 * matmul(matmul(x, second.A.t()), second.B.t());
        using (var y = layer.call(x)) Assert.True(y.allclose(baseOut + d1, atol: 1e-5));
        layer.SetActiveAdapters("other");
        using (var y = layer.call(x)) Assert.True(y.allclose(baseOut + d2, atol: 1e-5));
        layer.SetActiveAdapters("default", "other");
        using (var y = layer.call(x)) Assert.True(y.allclose(baseOut + d1 + d2, atol: 1e-5));
        layer.AdaptersEnabled = false;
        using (var y = layer.call(x)) Assert.True(Identical.Tensors(y, baseOut));
        Assert.Throws<ArgumentException>(() => layer.SetActiveAdapters("missing"));
    }

    [Fact]
    public void Dora_starts_at_the_row_norms_and_leaves_the_output_unchanged()
    {
        manual_seed(0);
        var linear = nn.Linear(8, 6);
        using var x = randn(2, 8);
        using var before = linear.call(x);
        var layer = new LoraLinear(linear, "p");
        var adapter = layer.AddAdapter("default", Options with { UseDora = true });
        var magnitude = adapter.ExtraParameters[DoraVariant.MagnitudeName];
        using var norms = linear.weight.norm(1, keepdim: false, p: 2);
        Assert.True(magnitude.allclose(norms, rtol: 1e-6));
        using var after = layer.call(x);
        Assert.True(after.allclose(before, rtol: 1e-5, atol: 1e-6));
    }

    [Fact]
    public void Dora_forward_equals_the_direct_formula()
    {
        manual_seed(0);
        var linear = nn.Linear(8, 6);
        var (layer, adapter) = Wrapped(linear, Options with { UseDora = true });
        var magnitude = adapter.ExtraParameters[DoraVariant.MagnitudeName];
        using (no_grad()) magnitude.mul_(1.5);
        using var x = randn(2, 8);
        using var combined = linear.weight + 2.0 * matmul(adapter.B, adapter.A);
        using var scale = magnitude / combined.norm(1, keepdim: false, p: 2);
        using var expected = scale * matmul(x, combined.t()) + linear.bias!;
        using var actual = layer.call(x);
        Assert.True(actual.allclose(expected, rtol: 1e-5, atol: 1e-5));
    }

    [Fact]
    public void Dropout_in_training_touches_only_the_lora_branch()
    {
        manual_seed(0);
        var linear = nn.Linear(8, 6);
        var layer = new LoraLinear(linear, "p");
        var adapter = layer.AddAdapter("default", Options with { Dropout = 0.5 });
        layer.train();
        using var x = randn(4, 8);
        using var baseOut = linear.call(x);
        // B is zero: whatever dropout does to the LoRA input, the base path must be untouched.
        using (var y = layer.call(x)) Assert.True(y.allclose(baseOut, atol: 1e-6));
        Randomize(adapter, 4);
        using var y1 = layer.call(x);
        using var y2 = layer.call(x);
        Assert.False(y1.allclose(y2), "dropout should make two training passes differ");
        layer.eval();
        using var e1 = layer.call(x);
        using var e2 = layer.call(x);
        Assert.True(Identical.Tensors(e1, e2));
    }

    [Fact]
    public void Dora_trains_its_magnitude_with_dropout()
    {
        manual_seed(0);
        var layer = new LoraLinear(nn.Linear(8, 6), "p");
        var adapter = layer.AddAdapter("default", Options with { UseDora = true, Dropout = 0.1 });
        Randomize(adapter, 6);
        layer.train();
        using var x = randn(4, 8);
        using var y = layer.call(x);
        using var loss = y.square().sum();
        loss.backward();
        using var grad = adapter.ExtraParameters[DoraVariant.MagnitudeName].grad;
        Assert.True(grad!.abs().sum().item<float>() > 0);
        using var gradB = adapter.B.grad;
        Assert.True(gradB!.abs().sum().item<float>() > 0);
    }

    [Fact]
    public void Dora_rejects_an_output_slice()
    {
        var layer = new LoraLinear(new Conv1D(8, 12), "transformer.h.0.attn.c_attn");
        var e = Assert.Throws<ArgumentException>(() => layer.AddAdapter("default", Options with { UseDora = true }, [new OutputSlice(0, 4)]));
        Assert.Contains("DoRA", e.Message);
    }

    [Fact]
    public void Only_linear_and_conv1d_can_be_wrapped()
    {
        var e = Assert.Throws<ModuleNotFoundException>(() => new LoraLinear(nn.LayerNorm(8), "model.norm"));
        Assert.Contains("model.norm", e.Message);
        Assert.Contains("LayerNorm", e.Message);
    }
}
