using System.Text.Json.Nodes;
using LoraDsl.Adapters;
using LoraDsl.Lora;
using LoraDsl.Models;
using LoraDsl.Tests.Lora.TestModels;
using TorchSharp.Modules;
using Xunit;
using static TorchSharp.torch;

namespace LoraDsl.Tests.Adapters;

/// <summary>adapter_config.json names the adapted set as PEFT would read it: layers_to_transform, exclude_modules, rank/alpha patterns.</summary>
[Collection(Training.TorchRandomCollection.Name)]
public class AdapterConfigSelectionTests
{
    static JsonObject SavedConfig(PretrainedModel model, LoraInjection injection, AdapterFolder folder)
    {
        AdapterWriter.Save(folder.Path, model, injection);
        return JsonNode.Parse(File.ReadAllText(folder.File(AdapterFiles.ConfigFile)))!.AsObject();
    }

    /// <summary>The modules PEFT would adapt under the saved config, by PEFT's rules (TargetModuleSelection.Selects).</summary>
    static List<string> SelectedBy(AdapterConfig config, PretrainedModel fresh)
    {
        var selection = new TargetModuleSelection(config.TargetModules)
        {
            ExcludeModules = config.ExcludeModules,
            LayersToTransform = config.LayersToTransform,
            LayersPattern = config.LayersPattern,
        };
        return [.. fresh.named_modules().Where(m => m.module is Linear).Select(m => m.name).Where(selection.Selects).Order(StringComparer.Ordinal)];
    }

    [Fact]
    public void One_layer_is_written_as_layers_to_transform_with_its_pattern()
    {
        using var folder = new AdapterFolder();
        var model = new TinyLlama();
        var injection = LoraInjector.Inject(model, new LoraOptions { Rank = 2, Alpha = 4 }, ["model.layers.1.self_attn.q_proj", "model.layers.1.self_attn.v_proj"]);
        var json = SavedConfig(model, injection, folder);
        Assert.Equal("[\"q_proj\",\"v_proj\"]", json["target_modules"]!.ToJsonString());
        Assert.Equal("[1]", json["layers_to_transform"]!.ToJsonString());
        Assert.Equal("layers", json["layers_pattern"]!.GetValue<string>());
        Assert.Null(json["exclude_modules"]);
        var config = AdapterConfig.Read(folder.File(AdapterFiles.ConfigFile));
        Assert.Equal(injection.Modules.Select(m => m.Path).Order(StringComparer.Ordinal), SelectedBy(config, new TinyLlama()));
    }

    [Fact]
    public void A_few_left_out_modules_are_written_as_exclude_modules()
    {
        using var folder = new AdapterFolder();
        var model = new TinyLlama();
        var injection = LoraInjector.Inject(model, new LoraOptions { Rank = 2, Alpha = 4 },
            ["model.layers.0.self_attn.q_proj", "model.layers.0.self_attn.v_proj", "model.layers.1.self_attn.q_proj"]);
        var json = SavedConfig(model, injection, folder);
        Assert.Equal("[\"q_proj\",\"v_proj\"]", json["target_modules"]!.ToJsonString());
        Assert.Equal("[\"model.layers.1.self_attn.v_proj\"]", json["exclude_modules"]!.ToJsonString());
        Assert.Null(json["layers_to_transform"]);
        var config = AdapterConfig.Read(folder.File(AdapterFiles.ConfigFile));
        Assert.Equal(injection.Modules.Select(m => m.Path).Order(StringComparer.Ordinal), SelectedBy(config, new TinyLlama()));
    }

    [Fact]
    public void Gpt2_layers_use_the_h_pattern()
    {
        Assert.Equal(("h", 3), LoraDsl.Dsl.PeftModuleMatch.LayerOf("transformer.h.3.attn.c_attn"));
        Assert.Equal(("layer", 11), LoraDsl.Dsl.PeftModuleMatch.LayerOf("bert.encoder.layer.11.attention.self.query"));
        Assert.Null(LoraDsl.Dsl.PeftModuleMatch.LayerOf("lm_head"));
    }

    [Fact]
    public void A_patterned_adapter_saves_rank_and_alpha_patterns_that_reload_to_the_same_ranks()
    {
        using var folder = new AdapterFolder();
        var model = new TinyLlama();
        var q = LoraInjector.Inject(model, new LoraOptions { Rank = 2, Alpha = 4, Dropout = 0 }, ["model.layers.0.self_attn.q_proj", "model.layers.1.self_attn.q_proj", "model.layers.0.self_attn.k_proj"]);
        var v = LoraInjector.Inject(model, new LoraOptions { Rank = 4, Alpha = 2, Dropout = 0 }, ["model.layers.0.self_attn.v_proj"]);
        var injection = new LoraInjection(q.Options, [.. q.Modules, .. v.Modules], []);
        AdapterRoundTripTests.RandomizeTrainable(model, 5);
        var json = SavedConfig(model, injection, folder);
        Assert.Equal(2, json["r"]!.GetValue<int>());
        Assert.Equal("{\"model.layers.0.self_attn.v_proj\":4}", json["rank_pattern"]!.ToJsonString());
        Assert.Equal("{\"model.layers.0.self_attn.v_proj\":2}", json["alpha_pattern"]!.ToJsonString());

        var fresh = new TinyLlama();
        var loaded = AdapterReader.Load(folder.Path, fresh);
        Assert.Equal(4, loaded.Modules.Single(m => m.Path == "model.layers.0.self_attn.v_proj").Rank);
        Assert.Equal(2.0, loaded.Modules.Single(m => m.Path == "model.layers.0.self_attn.v_proj").Adapter.Options.Alpha);

        // Saving what was loaded gives the same config again (it was inconsistent before: r from one group, no patterns).
        using var again = new AdapterFolder();
        var resaved = SavedConfig(fresh, loaded, again);
        foreach (var key in new[] { "r", "lora_alpha", "rank_pattern", "alpha_pattern", "target_modules", "exclude_modules" })
            Assert.Equal(json[key]?.ToJsonString(), resaved[key]?.ToJsonString());
    }
}
