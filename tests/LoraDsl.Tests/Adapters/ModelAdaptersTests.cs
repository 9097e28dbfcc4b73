using System.Text.Json.Nodes;
using LoraDsl.Adapters;
using LoraDsl.Lora;
using LoraDsl.Models;
using LoraDsl.Modules;
using LoraDsl.Tests.Lora.TestModels;
using TorchSharp;
using TorchSharp.Modules;
using Xunit;
using static TorchSharp.torch;

namespace LoraDsl.Tests.Adapters;

/// <summary>
/// Several named adapters on one tiny LLaMA: load, switch, add up, disable, mixed batches, delete, errors.
/// Expected logits come from a fresh base whose weights get W += s·BA written out in the test.
/// </summary>
public sealed class ModelAdaptersTests : IDisposable
{
    // "a": r 4, alpha 8 on q_proj and v_proj of both layers; "b": r 2, alpha 6 on layer 0's q_proj and the MLP down_proj.
    static readonly LoraOptions OptionsA = new() { Rank = 4, Alpha = 8, Dropout = 0 };
    static readonly LoraOptions OptionsB = new() { Rank = 2, Alpha = 6, Dropout = 0 };
    static readonly LoraTarget[] TargetsA =
        [.. Enumerable.Range(0, TinyLlama.Layers).SelectMany(i => new LoraTarget[] { $"model.layers.{i}.self_attn.q_proj", $"model.layers.{i}.self_attn.v_proj" })];
    static readonly LoraTarget[] TargetsB = ["model.layers.0.self_attn.q_proj", "model.layers.0.mlp.down_proj", "model.layers.1.mlp.down_proj"];

    readonly AdapterFolder folderA = new(), folderB = new();
    readonly Tensor ids;

    public ModelAdaptersTests()
    {
        Write(folderA.Path, OptionsA, TargetsA, seed: 21);
        Write(folderB.Path, OptionsB, TargetsB, seed: 22);
        var generator = new Generator(9);
        ids = randint(0, TinyLlama.Vocab, [4, 5], generator: generator);
    }

    public void Dispose()
    {
        folderA.Dispose();
        folderB.Dispose();
        ids.Dispose();
    }

    static void Write(string directory, LoraOptions options, LoraTarget[] targets, int seed, ModelTask task = ModelTask.CausalLanguageModeling)
    {
        using var model = new TinyLlama(task);
        var injection = LoraInjector.Inject(model, options, targets);
        AdapterRoundTripTests.RandomizeTrainable(model, seed);
        AdapterWriter.Save(directory, model, injection);
    }

    static Tensor Logits(PretrainedModel model, Tensor input)
    {
        model.eval();
        using var _ = no_grad();
        return model.Forward(new ModelInputs(input));
    }

    /// <summary>A fresh base with s·BA of each named adapter's modules added to its weights.</summary>
    static Tensor Reference(ModelAdapters adapters, Tensor input, params string[] names)
    {
        using var reference = new TinyLlama();
        using (no_grad())
            foreach (var name in names)
                foreach (var m in adapters.Modules(name))
                {
                    var linear = (Linear)ModuleSurgery.Find(reference, m.Path);
                    using var b = m.Adapter.FullB();
                    using var delta = matmul(b, m.Adapter.A.detach()) * m.Adapter.Scaling;
                    linear.weight.add_(delta);
                }
        return Logits(reference, input);
    }

    static void AssertClose(Tensor expected, Tensor actual, string what)
    {
        using var diff = (expected - actual).abs().max();
        Assert.True(actual.allclose(expected, rtol: 1e-4, atol: 1e-5), $"{what}: max diff {diff.item<float>()}");
    }

    ModelAdapters LoadBoth(TinyLlama model)
    {
        var adapters = ModelAdapters.Of(model);
        adapters.Load("a", folderA.Path);
        adapters.Load("b", folderB.Path);
        return adapters;
    }

    [Fact]
    public void Two_adapters_load_switch_add_up_and_disable()
    {
        using var model = new TinyLlama();
        using var baseLogits = Logits(model, ids);
        var adapters = LoadBoth(model);
        Assert.Same(adapters, ModelAdapters.Of(model));
        Assert.Equal(["a", "b"], adapters.Names);
        Assert.Equal(["a"], adapters.Active);

        using (var y = Logits(model, ids)) using (var want = Reference(adapters, ids, "a")) AssertClose(want, y, "a active");
        adapters.SetActive("b");
        using (var y = Logits(model, ids)) using (var want = Reference(adapters, ids, "b")) AssertClose(want, y, "b active");
        adapters.SetActive("a", "b");
        Assert.Equal(["a", "b"], adapters.Active);
        using (var y = Logits(model, ids)) using (var want = Reference(adapters, ids, "a", "b")) AssertClose(want, y, "a + b active");
        using (adapters.Disable())
        {
            Assert.False(adapters.Enabled);
            using var y = Logits(model, ids);
            Assert.True(Identical.Tensors(y, baseLogits), "disabled = the base model");
        }
        Assert.True(adapters.Enabled);
        using (var y = Logits(model, ids)) using (var want = Reference(adapters, ids, "a", "b")) AssertClose(want, y, "after the disable scope");
    }

    [Fact]
    public void Merged_adapters_still_switch_and_disable_exactly()
    {
        using var model = new TinyLlama();
        using var baseLogits = Logits(model, ids);
        var adapters = LoadBoth(model);
        adapters.Merge("a");
        adapters.SetActive("b");
        using (var y = Logits(model, ids)) using (var want = Reference(adapters, ids, "b")) AssertClose(want, y, "a merged, b active");
        adapters.SetActive("a", "b");
        using (var y = Logits(model, ids)) using (var want = Reference(adapters, ids, "a", "b")) AssertClose(want, y, "a merged, a + b active");
        using (adapters.Disable())
        using (var y = Logits(model, ids))
            AssertClose(baseLogits, y, "a merged, disabled");
        Assert.True(adapters.Describe().Single(s => s.Name == "a").IsMerged);
    }

    [Fact]
    public void A_mixed_batch_equals_running_each_row_alone()
    {
        using var model = new TinyLlama();
        var adapters = LoadBoth(model);
        adapters.Merge("b");
        string[] rows = [ModelAdapters.BaseName, "a", "b", "a"];
        Tensor mixed;
        using (adapters.PerRow(rows)) mixed = Logits(model, ids);
        using var _ = mixed;
        for (var i = 0; i < rows.Length; i++)
        {
            using var row = ids.narrow(0, i, 1);
            using var alone = Reference(adapters, row, rows[i] == ModelAdapters.BaseName ? [] : [rows[i]]);
            using var got = mixed.narrow(0, i, 1);
            AssertClose(alone, got, $"row {i} ({rows[i]})");
        }
        Assert.Throws<ArgumentException>(() => adapters.PerRow(["a", "missing"]));
    }

    [Fact]
    public void Delete_frees_the_adapter_unwraps_modules_left_bare_and_keeps_the_other()
    {
        using var model = new TinyLlama();
        var adapters = LoadBoth(model);
        var tensorsOfA = adapters.Modules("a").SelectMany(m => new[] { m.Adapter.A, m.Adapter.B }).ToList();
        adapters.Delete("a");
        Assert.Equal(["b"], adapters.Names);
        Assert.Equal(["b"], adapters.Active);
        Assert.All(tensorsOfA, t => Assert.True(t.IsInvalid, "a deleted adapter's tensors are freed"));
        Assert.IsType<Linear>(ModuleSurgery.Find(model, "model.layers.1.self_attn.q_proj"));
        Assert.IsType<LoraLinear>(ModuleSurgery.Find(model, "model.layers.0.self_attn.q_proj"));
        Assert.DoesNotContain(model.state_dict().Keys, k => k.Contains(".lora.a.", StringComparison.Ordinal));
        using (var y = Logits(model, ids)) using (var want = Reference(adapters, ids, "b")) AssertClose(want, y, "b after deleting a");
        adapters.Delete("b");
        Assert.Empty(adapters.Names);
        using var fresh = new TinyLlama();
        using var baseLogits = Logits(fresh, ids);
        using (var y = Logits(model, ids)) Assert.True(Identical.Tensors(y, baseLogits), "no adapters left = the base model");
    }

    [Fact]
    public void An_adapter_for_another_model_is_one_clear_error_and_changes_nothing()
    {
        using var model = new TinyLlama();
        var adapters = ModelAdapters.Of(model);
        adapters.Load("a", folderA.Path);
        var keys = model.state_dict().Keys.ToList();
        using var before = Logits(model, ids);

        using var gpt2Folder = new AdapterFolder();
        using (var gpt2 = new TinyGpt2())
            AdapterWriter.Save(gpt2Folder.Path, gpt2, LoraInjector.Inject(gpt2, OptionsA, [TinyGpt2.CAttn]));
        var wrongModel = Assert.Throws<AdapterMismatchException>(() => adapters.Load("gpt2", gpt2Folder.Path));
        Assert.Contains("transformer.h.0.attn.c_attn", wrongModel.Message);

        // Same modules, but the config claims rank 3 while the tensors have rank 2.
        using var badRank = new AdapterFolder();
        Write(badRank.Path, OptionsB, TargetsB, seed: 5);
        var configPath = Path.Combine(badRank.Path, AdapterFiles.ConfigFile);
        var config = JsonNode.Parse(File.ReadAllText(configPath))!.AsObject();
        config["r"] = 3;
        File.WriteAllText(configPath, config.ToJsonString());
        var wrongShape = Assert.Throws<AdapterMismatchException>(() => adapters.Load("b", badRank.Path));
        Assert.Contains("lora_A", wrongShape.Message);

        Assert.Equal(["a"], adapters.Names);
        Assert.Equal(keys, model.state_dict().Keys.ToList());
        using var after = Logits(model, ids);
        Assert.True(Identical.Tensors(before, after));
    }

    [Fact]
    public void Names_are_checked()
    {
        using var model = new TinyLlama();
        var adapters = ModelAdapters.Of(model);
        adapters.Load("a", folderA.Path);
        Assert.Contains("already has an adapter named 'a'", Assert.Throws<ArgumentException>(() => adapters.Load("a", folderB.Path)).Message);
        Assert.Contains("reserved", Assert.Throws<ArgumentException>(() => adapters.Load(ModelAdapters.BaseName, folderB.Path)).Message);
        Assert.Throws<ArgumentException>(() => adapters.Load("x.y", folderB.Path));
        Assert.Contains("has no adapter named 'zz'", Assert.Throws<ArgumentException>(() => adapters.SetActive("a", "zz")).Message);
        Assert.Equal(["a"], adapters.Active);
        Assert.Throws<ArgumentException>(() => adapters.Delete("zz"));
    }

    [Fact]
    public void Two_adapters_that_both_replace_the_classifier_cannot_be_loaded_together()
    {
        using var first = new AdapterFolder();
        using var second = new AdapterFolder();
        var withHead = OptionsA with { ModulesToSave = ["classifier"] };
        Write(first.Path, withHead, TargetsA, seed: 3, ModelTask.SequenceClassification);
        Write(second.Path, withHead, TargetsB, seed: 4, ModelTask.SequenceClassification);
        using var model = new TinyLlama(ModelTask.SequenceClassification);
        var adapters = ModelAdapters.Of(model);
        adapters.Load("first", first.Path);
        var error = Assert.Throws<AdapterMismatchException>(() => adapters.Load("second", second.Path));
        Assert.Contains("classifier", error.Message);
        Assert.Equal(["first"], adapters.Names);
    }

    [Fact]
    public void Add_makes_an_adapter_from_given_weights_and_checks_their_shapes()
    {
        using var model = new TinyLlama();
        var adapters = ModelAdapters.Of(model);
        adapters.Load("a", folderA.Path);
        var weights = adapters.Modules("a").Select(m => new AdapterModuleWeights(m.Path, m.Adapter.Options, m.Adapter.A.detach(), m.Adapter.FullB())).ToList();
        adapters.Add("copy", weights);
        Assert.Equal(["a"], adapters.Active);
        adapters.SetActive("copy");
        using (var y = Logits(model, ids)) using (var want = Reference(adapters, ids, "a")) AssertClose(want, y, "copy of a");

        using var wrongB = zeros(TinyLlama.Hidden + 1, OptionsA.Rank);
        var error = Assert.Throws<AdapterMismatchException>(() => adapters.Add("bad", [weights[0] with { B = wrongB }]));
        Assert.Contains("lora_B", error.Message);
        Assert.Equal(["a", "copy"], adapters.Names);
    }

    [Fact]
    public void Describe_lists_ranks_alphas_modules_and_parameter_counts()
    {
        using var model = new TinyLlama();
        var adapters = LoadBoth(model);
        var summaries = adapters.Describe();
        var a = summaries.Single(s => s.Name == "a");
        var b = summaries.Single(s => s.Name == "b");
        Assert.Equal([4], a.Ranks);
        Assert.Equal([8.0], a.Alphas);
        Assert.Equal(4, a.Modules.Count);
        Assert.True(a.IsActive);
        Assert.Equal(["model.layers.{layer}.self_attn.q_proj", "model.layers.{layer}.self_attn.v_proj"], a.Targets);
        const int h = TinyLlama.Hidden;
        Assert.Equal(4 * (4 * h + h * 4), a.ParameterCount);
        // q_proj: [2, h] + [h, 2]; down_proj (2h -> h) twice: [2, 2h] + [h, 2].
        Assert.Equal((2 * h + h * 2) + 2 * (2 * 2 * h + h * 2), b.ParameterCount);
        Assert.False(b.IsActive);
        Assert.Equal(Path.GetFullPath(folderB.Path), b.Directory);
    }

    [Fact]
    public void Compatibility_checks_name_the_adapters_and_the_module()
    {
        using var model = new TinyLlama();
        var adapters = LoadBoth(model);
        var modules = Assert.Throws<AdapterMismatchException>(() => AdapterCompatibility.RequireSameModules(adapters, ["a", "b"], "linear"));
        Assert.Contains("'a' adapts 'model.layers.0.self_attn.v_proj', 'b' does not", modules.Message);
        var ranks = Assert.Throws<AdapterMismatchException>(() => AdapterCompatibility.RequireEqualRanks(adapters, ["a", "b"], "linear"));
        Assert.Contains("module 'model.layers.0.self_attn.q_proj' has r=4 in 'a' and r=2 in 'b'", ranks.Message);
        AdapterCompatibility.RequireSharedModule(adapters, ["a", "b"], "linear");
        AdapterCompatibility.RequirePlainLora(adapters, ["a", "b"], "linear");

        using var disjoint = new AdapterFolder();
        Write(disjoint.Path, OptionsA, ["model.layers.1.mlp.up_proj"], seed: 8);
        adapters.Load("c", disjoint.Path);
        var none = Assert.Throws<AdapterMismatchException>(() => AdapterCompatibility.RequireSharedModule(adapters, ["a", "c"], "linear"));
        Assert.Contains("no module in common", none.Message);
        Assert.Throws<ArgumentException>(() => AdapterCompatibility.RequireEqualRanks(adapters, ["a", "zz"], "linear"));
    }

    [Fact]
    public void A_mixed_batch_on_gpt2_with_a_sliced_c_attn_adapter_equals_each_row_alone()
    {
        using var folderQv = new AdapterFolder();
        using var folderMlp = new AdapterFolder();
        using (var trained = new TinyGpt2())
        {
            const int h = TinyGpt2.Hidden;
            var injection = LoraInjector.Inject(trained, OptionsA, [new LoraTarget(TinyGpt2.CAttn, [new OutputSlice(0, h), new OutputSlice(2 * h, h)])]);
            AdapterRoundTripTests.RandomizeTrainable(trained, 31);
            AdapterWriter.Save(folderQv.Path, trained, injection);
        }
        using (var trained = new TinyGpt2())
        {
            var injection = LoraInjector.Inject(trained, OptionsB, ["transformer.h.1.attn.c_attn", TinyGpt2.CAttn]);
            AdapterRoundTripTests.RandomizeTrainable(trained, 32);
            AdapterWriter.Save(folderMlp.Path, trained, injection);
        }
        using var model = new TinyGpt2();
        var adapters = ModelAdapters.Of(model);
        adapters.Load("qv", folderQv.Path);
        adapters.Load("all", folderMlp.Path);
        string[] rows = ["all", ModelAdapters.BaseName, "qv", "all"];
        var generator = new Generator(4);
        using var input = randint(0, TinyGpt2.Vocab, [rows.Length, 6], generator: generator);
        Tensor mixed;
        using (adapters.PerRow(rows)) mixed = Logits(model, input);
        using var _ = mixed;
        for (var i = 0; i < rows.Length; i++)
        {
            using var row = input.narrow(0, i, 1);
            Tensor alone;
            if (rows[i] == ModelAdapters.BaseName)
                using (adapters.Disable()) alone = Logits(model, row);
            else
            {
                adapters.SetActive(rows[i]);
                alone = Logits(model, row);
            }
            using var got = mixed.narrow(0, i, 1);
            AssertClose(alone, got, $"row {i} ({rows[i]})");
            alone.Dispose();
        }
    }
}
