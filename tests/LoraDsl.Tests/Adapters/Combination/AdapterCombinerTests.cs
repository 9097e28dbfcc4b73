using LoraDsl.Adapters;
using LoraDsl.Adapters.Combination;
using LoraDsl.Lora;
using LoraDsl.Models;
using LoraDsl.Tests.Lora.TestModels;
using TorchSharp;
using Xunit;
using static TorchSharp.torch;

namespace LoraDsl.Tests.Adapters.Combination;

public class AdapterCombinerTests
{
    const string Q0 = "model.layers.0.self_attn.q_proj";

    static LoraTarget[] Targets(params string[] suffixes) =>
        [.. Enumerable.Range(0, TinyLlama.Layers).SelectMany(i => suffixes.Select(s => new LoraTarget($"model.layers.{i}.self_attn.{s}")))];

    /// <summary>A TinyLlama with adapter <paramref name="name"/> on the given modules, A and B random.</summary>
    static void AddRandomAdapter(PretrainedModel model, string name, int rank, double alpha, int seed, params string[] suffixes)
    {
        var injection = LoraInjector.Inject(model, new LoraOptions { Rank = rank, Alpha = alpha, Dropout = 0, AdapterName = name }, Targets(suffixes));
        using var _ = no_grad();
        var generator = new Generator((ulong)seed);
        foreach (var m in injection.Modules)
        {
            using var a = randn(m.Adapter.A.shape, generator: generator);
            using var b = randn(m.Adapter.B.shape, generator: generator);
            m.Adapter.A.copy_(a);
            m.Adapter.B.copy_(b);
        }
    }

    static IEnumerable<LoraLinear> Layers(nn.Module model) => model.named_modules().Select(m => m.module).OfType<LoraLinear>();

    static void Activate(nn.Module model, params string[] names)
    {
        foreach (var layer in Layers(model))
            layer.SetActiveAdapters([.. names.Where(layer.Adapters.ContainsKey)]);
    }

    static Tensor Output(PretrainedModel model)
    {
        model.eval();
        using var ids = TinyLlama.SampleIds();
        using var _ = no_grad();
        return model.Forward(new ModelInputs(ids));
    }

    static LoraLinear Layer(nn.Module model, string path) => Layers(model).Single(l => l.Path == path);

    static Tensor Delta(nn.Module model, string path, string adapter) => Layer(model, path).Adapters[adapter].DeltaWeight();

    static void AssertClose(Tensor expected, Tensor actual, double atol = 1e-5) =>
        Assert.True(expected.allclose(actual, rtol: 0, atol: atol), $"max error {(expected - actual).abs().max().item<float>()}");

    [Fact]
    public void Cat_of_two_adapters_gives_the_sum_of_their_outputs()
    {
        var model = new TinyLlama();
        AddRandomAdapter(model, "a", rank: 2, alpha: 4, seed: 1, "q_proj", "v_proj");
        AddRandomAdapter(model, "b", rank: 3, alpha: 3, seed: 2, "q_proj", "v_proj");
        var combined = AdapterCombiner.Combine(model, [new("a", 1), new("b", 1)], "ab", new CombinationOptions { Method = CombinationMethod.Cat });

        Assert.All(combined.Modules, m => Assert.Equal(5, m.Rank));
        Activate(model, "a", "b");
        using var both = Output(model);
        Activate(model, "ab");
        using var cat = Output(model);
        Activate(model);
        using var none = Output(model);
        Assert.False(both.allclose(none, rtol: 0, atol: 1e-3));
        AssertClose(both, cat);
    }

    [Fact]
    public void Cat_weights_scale_each_delta_and_ranks_add_up()
    {
        var model = new TinyLlama();
        AddRandomAdapter(model, "a", rank: 2, alpha: 4, seed: 1, "q_proj");
        AddRandomAdapter(model, "b", rank: 3, alpha: 6, seed: 2, "q_proj");
        AdapterCombiner.Combine(model, [new("a", 0.5), new("b", -2)], "ab", new CombinationOptions { Method = CombinationMethod.Cat });
        using var expected = Delta(model, Q0, "a") * 0.5 + Delta(model, Q0, "b") * -2;
        using var actual = Delta(model, Q0, "ab");
        AssertClose(expected, actual);
        Assert.Equal(1.0, Layer(model, Q0).Adapters["ab"].Scaling);
    }

    [Fact]
    public void Svd_of_one_adapter_reproduces_it()
    {
        var model = new TinyLlama();
        AddRandomAdapter(model, "a", rank: 4, alpha: 8, seed: 3, "q_proj", "v_proj");
        AdapterCombiner.Combine(model, [new("a", 1)], "copy", new CombinationOptions { Method = CombinationMethod.Svd, SvdRank = 4 });
        foreach (var layer in Layers(model))
        {
            using var original = layer.Adapters["a"].DeltaWeight();
            using var copy = layer.Adapters["copy"].DeltaWeight();
            AssertClose(original, copy);
        }
    }

    [Fact]
    public void Svd_at_full_rank_is_the_weighted_delta_scaled_again_as_peft_does()
    {
        var model = new TinyLlama();
        AddRandomAdapter(model, "a", rank: 2, alpha: 4, seed: 4, "q_proj");
        AddRandomAdapter(model, "b", rank: 3, alpha: 1.5, seed: 5, "q_proj");
        AdapterCombiner.Combine(model, [new("a", 1), new("b", 0.5)], "svd", new CombinationOptions { Method = CombinationMethod.Svd, SvdRank = 5 });
        // PEFT weights each ΔWᵢ = sᵢBᵢAᵢ by wᵢ·sᵢ: sa = 2, sb = 0.5.
        using var expected = Delta(model, Q0, "a") * (1 * 2.0) + Delta(model, Q0, "b") * (0.5 * 0.5);
        using var actual = Delta(model, Q0, "svd");
        AssertClose(expected, actual, 1e-4);
    }

    [Fact]
    public void Svd_truncation_keeps_the_best_low_rank_approximation()
    {
        var model = new TinyLlama();
        AddRandomAdapter(model, "a", rank: 3, alpha: 3, seed: 6, "q_proj");
        AddRandomAdapter(model, "b", rank: 3, alpha: 3, seed: 7, "q_proj");
        AdapterCombiner.Combine(model, [new("a", 1), new("b", 1)], "r2", new CombinationOptions { Method = CombinationMethod.Svd, SvdRank = 2 });
        using var target = Delta(model, Q0, "a") + Delta(model, Q0, "b");
        using var approx = Delta(model, Q0, "r2");
        // Eckart–Young: the Frobenius error of the best rank-2 approximation is the norm of the dropped singular values.
        using var singular = linalg.svdvals(target);
        var dropped = Math.Sqrt(singular[2..].pow(2).sum().item<float>());
        var error = (target - approx).norm().item<float>();
        Assert.Equal(dropped, error, 3);
        Assert.True(dropped > 0.1);
    }

    [Fact]
    public void Svd_clamp_bounds_the_factors_by_the_quantile()
    {
        var model = new TinyLlama();
        AddRandomAdapter(model, "a", rank: 2, alpha: 2, seed: 8, "q_proj");
        AddRandomAdapter(model, "b", rank: 2, alpha: 2, seed: 9, "q_proj");
        AdapterCombiner.Combine(model, [new("a", 1), new("b", 1)], "clamped", new CombinationOptions { Method = CombinationMethod.Svd, SvdClamp = 0.8 });
        AdapterCombiner.Combine(model, [new("a", 1), new("b", 1)], "free", new CombinationOptions { Method = CombinationMethod.Svd });
        var free = Layer(model, Q0).Adapters["free"];
        var clamped = Layer(model, Q0).Adapters["clamped"];
        using var all = cat([free.B.detach().flatten(), free.A.detach().flatten()], 0);
        var (sorted, _) = all.sort();
        var position = 0.8 * (all.numel() - 1);
        var low = (long)position;
        var high = sorted[low].item<float>() + (sorted[low + 1].item<float>() - sorted[low].item<float>()) * (position - low);
        using var expectedB = free.B.detach().clamp(-high, high);
        using var expectedA = free.A.detach().clamp(-high, high);
        AssertClose(expectedB, clamped.B.detach(), 1e-6);
        AssertClose(expectedA, clamped.A.detach(), 1e-6);
        Assert.True(free.B.detach().abs().max().item<float>() > high);
    }

    [Fact]
    public void Linear_combines_the_factors_with_square_roots_of_the_weights()
    {
        var model = new TinyLlama();
        AddRandomAdapter(model, "a", rank: 2, alpha: 4, seed: 10, "q_proj");
        AddRandomAdapter(model, "b", rank: 2, alpha: 1, seed: 11, "q_proj");
        AdapterCombiner.Combine(model, [new("a", 0.5), new("b", -2)], "lin", new CombinationOptions { Method = CombinationMethod.Linear });
        var a = Layer(model, Q0).Adapters["a"];
        var b = Layer(model, Q0).Adapters["b"];
        var combined = Layer(model, Q0).Adapters["lin"];
        // wa·sa = 0.5·2 = 1; wb·sb = -2·0.5 = -1: A = 1·Aa − 1·Ab, B = 1·Ba + 1·Bb.
        using var expectedA = a.A.detach() - b.A.detach();
        using var expectedB = a.B.detach() + b.B.detach();
        AssertClose(expectedA, combined.A.detach(), 1e-6);
        AssertClose(expectedB, combined.B.detach(), 1e-6);
        Assert.Equal(2, combined.Rank);
    }

    [Fact]
    public void Ties_runs_on_A_and_on_B_separately()
    {
        var model = new TinyLlama();
        AddRandomAdapter(model, "a", rank: 2, alpha: 2, seed: 12, "q_proj");
        AddRandomAdapter(model, "b", rank: 2, alpha: 2, seed: 13, "q_proj");
        AdapterCombiner.Combine(model, [new("a", 1), new("b", 2)], "ties", new CombinationOptions { Method = CombinationMethod.Ties, Density = 0.5 });
        var a = Layer(model, Q0).Adapters["a"];
        var b = Layer(model, Q0).Adapters["b"];
        using var expectedA = TaskTensorMerge.Ties([a.A.detach(), b.A.detach()], [1, Math.Sqrt(2)], 0.5, MajoritySignMethod.Total);
        using var expectedB = TaskTensorMerge.Ties([a.B.detach(), b.B.detach()], [1, Math.Sqrt(2)], 0.5, MajoritySignMethod.Total);
        AssertClose(expectedA, Layer(model, Q0).Adapters["ties"].A.detach(), 1e-6);
        AssertClose(expectedB, Layer(model, Q0).Adapters["ties"].B.detach(), 1e-6);
    }

    [Fact]
    public void Adapters_with_different_targets_combine_into_the_union_and_save_as_a_peft_adapter()
    {
        var model = new TinyLlama();
        AddRandomAdapter(model, "qv", rank: 2, alpha: 4, seed: 14, "q_proj", "v_proj");
        AddRandomAdapter(model, "v", rank: 2, alpha: 2, seed: 15, "v_proj");
        var combined = AdapterCombiner.Combine(model, [new("qv", 1), new("v", 0.5)], "mix", new CombinationOptions { Method = CombinationMethod.Linear });
        Assert.Equal(2 * TinyLlama.Layers, combined.Modules.Count);

        // Where one adapter is alone, linear is exact: w·s·BA.
        using (var expected = Delta(model, Q0, "qv") * 1.0)
        using (var actual = Delta(model, Q0, "mix")) AssertClose(expected, actual);
        // Where both are, the factors add with √(w·s): ΔW = (√2·Bqv + √0.5·Bv)(√2·Aqv + √0.5·Av), cross terms included.
        const string V1 = "model.layers.1.self_attn.v_proj";
        var qv = Layer(model, V1).Adapters["qv"];
        var v = Layer(model, V1).Adapters["v"];
        using (var b = qv.B.detach() * Math.Sqrt(2) + v.B.detach() * Math.Sqrt(0.5))
        using (var a = qv.A.detach() * Math.Sqrt(2) + v.A.detach() * Math.Sqrt(0.5))
        using (var expected = matmul(b, a))
        using (var actual = Delta(model, V1, "mix")) AssertClose(expected, actual);

        using var folder = new AdapterFolder();
        AdapterWriter.Save(folder.Path, model, combined);
        var config = AdapterConfig.Read(folder.File(AdapterFiles.ConfigFile));
        Assert.Equal(["q_proj", "v_proj"], config.TargetModules);
        Assert.Equal(2, config.R);
        Assert.Equal(2, config.LoraAlpha);

        Activate(model, "mix");
        using var inMemory = Output(model);
        var fresh = new TinyLlama();
        AdapterReader.Load(folder.Path, fresh);
        using var reloaded = Output(fresh);
        AssertClose(inMemory, reloaded);
    }

    [Fact]
    public void Disjoint_adapters_stack_with_cat_but_are_an_error_for_the_other_methods()
    {
        var model = new TinyLlama();
        AddRandomAdapter(model, "q", rank: 2, alpha: 4, seed: 16, "q_proj");
        AddRandomAdapter(model, "v", rank: 2, alpha: 2, seed: 17, "v_proj");
        var error = Assert.Throws<AdapterMismatchException>(() =>
            AdapterCombiner.Combine(model, [new("q", 1), new("v", 1)], "lin", new CombinationOptions { Method = CombinationMethod.Linear }));
        Assert.Contains("disjoint", error.Message);
        var cat = AdapterCombiner.Combine(model, [new("q", 1), new("v", 1)], "both", new CombinationOptions { Method = CombinationMethod.Cat });
        Assert.Equal(2 * TinyLlama.Layers, cat.Modules.Count);
        Activate(model, "q", "v");
        using var sum = Output(model);
        Activate(model, "both");
        using var stacked = Output(model);
        AssertClose(sum, stacked);
    }

    [Fact]
    public void Linear_with_unequal_ranks_is_one_clear_error_and_leaves_the_model_unchanged()
    {
        var model = new TinyLlama();
        AddRandomAdapter(model, "a", rank: 2, alpha: 4, seed: 1, "q_proj");
        AddRandomAdapter(model, "b", rank: 4, alpha: 4, seed: 2, "q_proj");
        var error = Assert.Throws<AdapterMismatchException>(() =>
            AdapterCombiner.Combine(model, [new("a", 1), new("b", 1)], "ab", new CombinationOptions { Method = CombinationMethod.Linear }));
        Assert.Contains("equal rank", error.Message);
        Assert.Contains("'a' r=2", error.Message);
        Assert.Contains("'b' r=4", error.Message);
        Assert.DoesNotContain("ab", Layer(model, Q0).Adapters.Keys);
    }

    [Fact]
    public void Bad_inputs_are_clear_errors()
    {
        var model = new TinyLlama();
        AddRandomAdapter(model, "a", rank: 2, alpha: 4, seed: 1, "q_proj");
        AddRandomAdapter(model, "b", rank: 2, alpha: 4, seed: 2, "q_proj");
        Assert.Contains("no adapter named 'c' (has: a, b)",
            Assert.Throws<AdapterMismatchException>(() => AdapterCombiner.Combine(model, [new("a", 1), new("c", 1)], "x")).Message);
        Assert.Contains("needs a density",
            Assert.Throws<ArgumentException>(() => AdapterCombiner.Combine(model, [new("a", 1), new("b", 1)], "x", new CombinationOptions { Method = CombinationMethod.Ties })).Message);
        Assert.Contains("already has an adapter named 'a'",
            Assert.Throws<ArgumentException>(() => AdapterCombiner.Combine(model, [new("a", 1), new("b", 1)], "a")).Message);
        Assert.Contains("Unknown combination 'mean'", Assert.Throws<ArgumentException>(() => CombinationMethods.Parse("mean")).Message);
    }

    [Fact]
    public void Dare_linear_is_repeatable_with_its_seed()
    {
        var model = new TinyLlama();
        AddRandomAdapter(model, "a", rank: 2, alpha: 2, seed: 1, "q_proj");
        AddRandomAdapter(model, "b", rank: 2, alpha: 2, seed: 2, "q_proj");
        var options = new CombinationOptions { Method = CombinationMethod.DareLinear, Density = 0.5, Seed = 5 };
        AdapterCombiner.Combine(model, [new("a", 1), new("b", 1)], "d1", options);
        AdapterCombiner.Combine(model, [new("a", 1), new("b", 1)], "d2", options);
        AdapterCombiner.Combine(model, [new("a", 1), new("b", 1)], "d3", options with { Seed = 6 });
        using var d1 = Delta(model, Q0, "d1");
        using var d2 = Delta(model, Q0, "d2");
        using var d3 = Delta(model, Q0, "d3");
        Assert.True(Identical.Tensors(d1, d2));
        Assert.False(d1.allclose(d3));
    }
}
