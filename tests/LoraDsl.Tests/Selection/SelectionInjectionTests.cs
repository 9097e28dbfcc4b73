using System.Text.Json.Nodes;
using LoraDsl.Adapters;
using LoraDsl.Dsl;
using LoraDsl.Lora;
using LoraDsl.Models;
using LoraDsl.Tests.Adapters;
using LoraDsl.Tests.Lora.TestModels;
using Xunit;
using static TorchSharp.torch;

namespace LoraDsl.Tests.Selection;

/// <summary>
/// PEFT's selection options through the injector, the adapter files and back: the modules adapted, A/B shapes and scaling
/// per module as PEFT's rules give them, adapter_config.json in PEFT's names as asked, and a reload equal to the original.
/// </summary>
[Collection(Training.TorchRandomCollection.Name)]
public class SelectionInjectionTests
{
    const string Q0 = "model.layers.0.self_attn.q_proj", V0 = "model.layers.0.self_attn.v_proj", Q1 = "model.layers.1.self_attn.q_proj", V1 = "model.layers.1.self_attn.v_proj";
    static readonly LoraTarget[] QandV = [Q0, V0, Q1, V1];

    static JsonObject Save(PretrainedModel model, LoraInjection injection, AdapterFolder folder)
    {
        AdapterWriter.Save(folder.Path, model, injection);
        return JsonNode.Parse(File.ReadAllText(folder.File(AdapterFiles.ConfigFile)))!.AsObject();
    }

    static Tensor Logits(PretrainedModel model)
    {
        model.eval();
        using var _ = no_grad();
        using var ids = TinyLlama.SampleIds();
        return model.Forward(new ModelInputs(ids));
    }

    static Dictionary<string, (string A, string B, double Scaling)> Shapes(LoraInjection injection) =>
        injection.Modules.ToDictionary(m => m.Path, m => (Text(m.Adapter.A.shape), Text(m.Adapter.B.shape), m.Adapter.Scaling));

    static string Text(long[] shape) => "[" + string.Join(", ", shape) + "]";

    [Fact]
    public void Rank_and_alpha_patterns_and_exclude_give_each_module_what_PEFT_would_and_round_trip()
    {
        var options = new LoraOptions
        {
            Rank = 2,
            Alpha = 4,
            Dropout = 0,
            RankPattern = new Dictionary<string, int> { ["q_proj"] = 4 },
            AlphaPattern = new Dictionary<string, double> { [@"layers\.1\.self_attn\.v_proj"] = 16 },
            Selection = new ModuleSelection { ExcludeModules = [V0] },
        };
        var model = new TinyLlama();
        var injection = LoraInjector.Inject(model, options, QandV);

        // PEFT: v_proj of layer 0 excluded; q_proj at r 4 (alpha 4 → scaling 1); layer 1's v_proj at r 2, alpha 16 → 8.
        var hidden = TinyLlama.Hidden;
        var expected = new Dictionary<string, (string A, string B, double Scaling)>
        {
            [Q0] = ($"[4, {hidden}]", $"[{hidden}, 4]", 1.0),
            [Q1] = ($"[4, {hidden}]", $"[{hidden}, 4]", 1.0),
            [V1] = ($"[2, {hidden}]", $"[{hidden}, 2]", 8.0),
        };
        var shapes = Shapes(injection);
        Assert.Equal(expected.Keys.Order(), shapes.Keys.Order());
        foreach (var (path, (a, b, scaling)) in expected)
            Assert.Equal((a, b, scaling), shapes[path]);

        AdapterRoundTripTests.RandomizeTrainable(model, 3);
        using var folder = new AdapterFolder();
        var json = Save(model, injection, folder);
        Assert.Equal(2, json["r"]!.GetValue<int>());
        Assert.Equal(4.0, json["lora_alpha"]!.GetValue<double>());
        Assert.Equal("{\"q_proj\":4}", json["rank_pattern"]!.ToJsonString());
        Assert.Equal("{\"layers\\\\.1\\\\.self_attn\\\\.v_proj\":16}", json["alpha_pattern"]!.ToJsonString());
        Assert.Equal("[\"q_proj\",\"v_proj\"]", json["target_modules"]!.ToJsonString());
        Assert.Equal($"[\"{V0}\"]", json["exclude_modules"]!.ToJsonString());

        var fresh = new TinyLlama();
        var loaded = AdapterReader.Load(folder.Path, fresh);
        Assert.Equal(shapes.OrderBy(kv => kv.Key).Select(kv => (kv.Key, kv.Value.A, kv.Value.B, kv.Value.Scaling)),
            Shapes(loaded).OrderBy(kv => kv.Key).Select(kv => (kv.Key, kv.Value.A, kv.Value.B, kv.Value.Scaling)));
        using var original = Logits(model);
        using var reloaded = Logits(fresh);
        Assert.True(allclose(original, reloaded, rtol: 0, atol: 1e-6));
    }

    [Fact]
    public void A_regex_target_adapts_the_modules_it_fully_matches_and_is_saved_as_PEFTs_string()
    {
        var options = new LoraOptions { Rank = 2, Alpha = 4, Dropout = 0, Selection = new ModuleSelection { TargetRegex = @".*\.layers\.1\..*(q_proj|down_proj)" } };
        var model = new TinyLlama();
        var injection = LoraInjector.Inject(model, options, []);
        Assert.Equal(["model.layers.1.mlp.down_proj", Q1], injection.Modules.Select(m => m.Path).Order(StringComparer.Ordinal));

        AdapterRoundTripTests.RandomizeTrainable(model, 4);
        using var folder = new AdapterFolder();
        var json = Save(model, injection, folder);
        Assert.Equal(@".*\.layers\.1\..*(q_proj|down_proj)", json["target_modules"]!.GetValue<string>());
        Assert.Null(json["exclude_modules"]);
        var fresh = new TinyLlama();
        var loaded = AdapterReader.Load(folder.Path, fresh);
        Assert.Equal(injection.Modules.Select(m => m.Path).Order(StringComparer.Ordinal), loaded.Modules.Select(m => m.Path).Order(StringComparer.Ordinal));
        using var original = Logits(model);
        using var reloaded = Logits(fresh);
        Assert.True(allclose(original, reloaded, rtol: 0, atol: 1e-6));
    }

    [Fact]
    public void Layers_to_transform_keeps_the_listed_layers_and_is_saved_with_its_pattern()
    {
        var options = new LoraOptions { Rank = 2, Alpha = 4, Selection = new ModuleSelection { LayersToTransform = [1], LayersPattern = "layers" } };
        var model = new TinyLlama();
        var injection = LoraInjector.Inject(model, options, QandV);
        Assert.Equal([Q1, V1], injection.Modules.Select(m => m.Path).Order(StringComparer.Ordinal));
        using var folder = new AdapterFolder();
        var json = Save(model, injection, folder);
        Assert.Equal("[1]", json["layers_to_transform"]!.ToJsonString());
        Assert.Equal("layers", json["layers_pattern"]!.GetValue<string>());
        Assert.Equal([Q1, V1], AdapterReader.Load(folder.Path, new TinyLlama()).Modules.Select(m => m.Path).Order(StringComparer.Ordinal));
    }

    [Fact]
    public void A_regex_that_matches_nothing_or_a_layer_beyond_the_depth_is_an_error_naming_it()
    {
        var none = Assert.Throws<TargetResolutionException>(() =>
            LoraInjector.Inject(new TinyLlama(), new LoraOptions { Selection = new ModuleSelection { TargetRegex = "qproj" } }, []));
        Assert.Contains("lora.target_regex 'qproj' matches no", none.Message);
        var deep = Assert.Throws<TargetResolutionException>(() =>
            LoraInjector.Inject(new TinyLlama(), new LoraOptions { Selection = new ModuleSelection { LayersToTransform = [2] } }, QandV));
        Assert.Contains("lora.layers_to_transform names layer 2, outside the 2 layers", deep.Message);
    }

    [Fact]
    public void Merging_a_patterned_adapter_adds_each_modules_own_scaled_delta()
    {
        var options = new LoraOptions
        {
            Rank = 2,
            Alpha = 4,
            Dropout = 0,
            RankPattern = new Dictionary<string, int> { ["v_proj"] = 4 },
            AlphaPattern = new Dictionary<string, double> { ["q_proj"] = 1 },
        };
        var model = new TinyLlama();
        var injection = LoraInjector.Inject(model, options, QandV);
        AdapterRoundTripTests.RandomizeTrainable(model, 6);
        // W + (alpha/r)·B·A per module, from the module's own factors: q_proj 1/2, v_proj 4/4.
        var expected = new Dictionary<string, Tensor>();
        using (no_grad())
            foreach (var m in injection.Modules)
            {
                var scaling = m.Path.EndsWith("q_proj", StringComparison.Ordinal) ? 0.5 : 1.0;
                expected[m.Path] = m.Layer.Base.WeightOutIn().detach().clone() + m.Adapter.FullB().matmul(m.Adapter.A).mul(scaling);
            }
        using var unmerged = Logits(model);
        LoraInjector.MergeAndUnload(model);
        using var merged = Logits(model);
        Assert.True(allclose(unmerged, merged, rtol: 0, atol: 1e-5));
        foreach (var (path, weight) in expected)
        {
            var linear = (TorchSharp.Modules.Linear)LoraDsl.Modules.ModuleSurgery.Find(model, path);
            Assert.True(allclose(linear.weight!, weight, rtol: 0, atol: 1e-6), path);
        }
    }
}
