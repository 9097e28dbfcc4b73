using LoraDsl.Lora;
using TorchSharp;
using TorchSharp.Modules;
using Xunit;
using static TorchSharp.torch;

namespace LoraDsl.Tests.Lora;

/// <summary>
/// Every mix of merged and unmerged, active and inactive adapters, enabled or disabled, against
/// y = W₀x + b + Σ over the adapters in effect of their direct formula (W₀ = the weight before any merge).
/// </summary>
public class MergedAndUnmergedTests
{
    const int In = 8, Out = 12;

    sealed class Fixture : IDisposable
    {
        public Fixture(bool dora)
        {
            var generator = new Generator(5);
            Linear = nn.Linear(In, Out);
            using (no_grad())
            {
                using var weight = randn(Out, In, generator: generator);
                using var bias = randn(Out, generator: generator);
                Linear.weight.copy_(weight);
                Linear.bias!.copy_(bias);
            }
            W0 = Linear.weight.detach().clone();
            B0 = Linear.bias!.detach().clone();
            Layer = new LoraLinear(Linear, "test.proj");
            // "a": rank 4, alpha 8, on rows [4, 10) only; "b": rank 2, alpha 6 (or DoRA), all rows.
            var a = Layer.AddAdapter("a", new LoraOptions { Rank = 4, Alpha = 8, Dropout = 0 }, [new OutputSlice(4, 6)]);
            var b = Layer.AddAdapter("b", new LoraOptions { Rank = 2, Alpha = 6, Dropout = 0, UseDora = dora });
            LoraLinearTests.Randomize(a, 11);
            LoraLinearTests.Randomize(b, 12);
            if (dora)
                using (no_grad())
                {
                    using var m = rand(Out, generator: generator) + 0.5;
                    b.ExtraParameters[DoraVariant.MagnitudeName].copy_(m);
                }
            Layer.eval();
            X = randn([5, 3, In], generator: generator);
        }

        public Linear Linear { get; }
        public LoraLinear Layer { get; }
        public Tensor W0 { get; }
        public Tensor B0 { get; }
        public Tensor X { get; }

        /// <summary>s·BA as [out, in], zero outside the adapter's rows, from A and B directly.</summary>
        public Tensor Delta(string name)
        {
            var adapter = Layer.Adapters[name];
            var delta = zeros(Out, In);
            using var product = matmul(adapter.B.detach(), adapter.A.detach()) * adapter.Scaling;
            var offset = adapter.OutputRows?.Slices[0].Offset ?? 0;
            delta.narrow(0, offset, product.shape[0]).copy_(product);
            return delta;
        }

        /// <summary>The output with exactly <paramref name="inEffect"/> applied, unmerged semantics (each adapter against W₀).</summary>
        public Tensor Expected(Tensor x, IEnumerable<string> inEffect)
        {
            var y = matmul(x, W0.t()) + B0;
            foreach (var name in inEffect)
            {
                using var delta = Delta(name);
                var adapter = Layer.Adapters[name];
                if (adapter.Options.UseDora)
                {
                    // DoRA: (m / ‖W₀ + ΔW‖)·(W₀ + ΔW)x + b, so its share is that minus W₀x.
                    using var combined = W0 + delta;
                    using var scale = adapter.ExtraParameters[DoraVariant.MagnitudeName].detach() / combined.norm(1, keepdim: false, p: 2);
                    using var directed = matmul(x, combined.t()) * scale;
                    using var plain = matmul(x, W0.t());
                    y = y + directed - plain;
                }
                else y = y + matmul(x, delta.t());
            }
            return y;
        }

        public void Dispose()
        {
            Layer.Dispose();
            W0.Dispose();
            B0.Dispose();
            X.Dispose();
        }
    }

    static readonly string[][] Subsets = [[], ["a"], ["b"], ["a", "b"]];

    public static TheoryData<int, int, bool, bool> Combinations()
    {
        var data = new TheoryData<int, int, bool, bool>();
        for (var m = 0; m < Subsets.Length; m++)
            for (var a = 0; a < Subsets.Length; a++)
                foreach (var enabled in new[] { true, false })
                {
                    data.Add(m, a, enabled, false);
                    // Merging DoRA on top of another merge is not the unmerged sum (its norm sees the merged weight), by definition.
                    if (m != 3) data.Add(m, a, enabled, true);
                }
        return data;
    }

    [Theory]
    [MemberData(nameof(Combinations))]
    public void Output_equals_the_direct_formula(int mergedIndex, int activeIndex, bool enabled, bool dora)
    {
        using var f = new Fixture(dora);
        string[] mergedNames = Subsets[mergedIndex], activeNames = Subsets[activeIndex];
        if (mergedNames.Length > 0) f.Layer.Merge(mergedNames);
        f.Layer.SetActiveAdapters(activeNames);
        f.Layer.AdaptersEnabled = enabled;
        using var expected = f.Expected(f.X, enabled ? activeNames : []);
        using var actual = f.Layer.call(f.X);
        Assert.True(actual.allclose(expected, rtol: 1e-4, atol: 1e-4), $"max diff {(actual - expected).abs().max().item<float>()}");
        // A second call sees the same (after a possible unmerge-for-good).
        using var again = f.Layer.call(f.X);
        Assert.True(again.allclose(expected, rtol: 1e-4, atol: 1e-4));
    }

    [Fact]
    public void Disabling_plain_merged_adapters_keeps_them_merged_and_gives_the_base_output()
    {
        using var f = new Fixture(dora: false);
        f.Layer.Merge("a", "b");
        f.Layer.AdaptersEnabled = false;
        using var expected = f.Expected(f.X, []);
        using var actual = f.Layer.call(f.X);
        Assert.True(actual.allclose(expected, rtol: 1e-4, atol: 1e-4));
        Assert.Equal(["a", "b"], f.Layer.MergedAdapters);
    }

    [Fact]
    public void Leaving_out_a_merged_dora_adapter_unmerges_it_and_restores_W0()
    {
        using var f = new Fixture(dora: true);
        f.Layer.Merge("b");
        f.Layer.SetActiveAdapters("a");
        using var expected = f.Expected(f.X, ["a"]);
        using var actual = f.Layer.call(f.X);
        Assert.True(actual.allclose(expected, rtol: 1e-4, atol: 1e-4));
        Assert.Empty(f.Layer.MergedAdapters);
        using var weight = f.Layer.Base.WeightOutIn();
        Assert.True(weight.allclose(f.W0, rtol: 1e-5, atol: 1e-5));
    }

    [Theory]
    [InlineData(0)]
    [InlineData(1)]
    [InlineData(2)]
    [InlineData(3)]
    public void Mixed_batch_rows_equal_the_formula_for_the_adapter_each_row_names(int mergedIndex)
    {
        using var f = new Fixture(dora: false);
        if (Subsets[mergedIndex].Length > 0) f.Layer.Merge(Subsets[mergedIndex]);
        string?[] rows = [null, "a", "b", "a", "not-on-this-layer"];
        f.Layer.RowAdapterNames = rows;
        using var actual = f.Layer.call(f.X);
        for (var i = 0; i < rows.Length; i++)
        {
            using var row = f.X.narrow(0, i, 1);
            using var expected = f.Expected(row, rows[i] is "a" or "b" ? [rows[i]!] : []);
            using var got = actual.narrow(0, i, 1);
            Assert.True(got.allclose(expected, rtol: 1e-4, atol: 1e-4), $"row {i} ({rows[i] ?? "base"}): max diff {(got - expected).abs().max().item<float>()}");
        }
        f.Layer.RowAdapterNames = ["a"];
        Assert.Throws<ArgumentException>(() => f.Layer.call(f.X).Dispose());
    }

    [Fact]
    public void Mixed_batch_with_a_merged_dora_adapter_left_out_of_some_rows_unmerges_and_stays_exact()
    {
        using var f = new Fixture(dora: true);
        f.Layer.Merge("b");
        string?[] rows = ["b", null, "a", "b", "a"];
        f.Layer.RowAdapterNames = rows;
        using var actual = f.Layer.call(f.X);
        for (var i = 0; i < rows.Length; i++)
        {
            using var row = f.X.narrow(0, i, 1);
            using var expected = f.Expected(row, rows[i] is { } n ? [n] : []);
            using var got = actual.narrow(0, i, 1);
            Assert.True(got.allclose(expected, rtol: 1e-4, atol: 1e-4), $"row {i}");
        }
    }

    [Fact]
    public void Removing_a_merged_adapter_takes_it_out_of_the_weight_and_frees_its_tensors()
    {
        using var f = new Fixture(dora: false);
        f.Layer.Merge("a", "b");
        var a = f.Layer.Adapters["a"];
        Assert.False(f.Layer.RemoveAdapter("a"));
        Assert.True(a.A.IsInvalid && a.B.IsInvalid, "lora_A/lora_B of a removed adapter are disposed");
        Assert.Equal(["b"], f.Layer.MergedAdapters);
        Assert.DoesNotContain(f.Layer.state_dict().Keys, k => k.StartsWith("lora.a.", StringComparison.Ordinal));
        using var deltaB = f.Delta("b");
        using var expectedWeight = f.W0 + deltaB;
        using var weight = f.Layer.Base.WeightOutIn();
        Assert.True(weight.allclose(expectedWeight, rtol: 1e-5, atol: 1e-5));
        Assert.True(f.Layer.RemoveAdapter("b"));
        using var restored = f.Layer.Base.WeightOutIn();
        Assert.True(restored.allclose(f.W0, rtol: 1e-5, atol: 1e-5));
    }
}
