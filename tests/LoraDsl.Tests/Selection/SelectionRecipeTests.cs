using System.Text.Json.Nodes;
using LoraDsl.Adapters;
using LoraDsl.Architectures;
using LoraDsl.Checkpoints;
using LoraDsl.Recipes;
using LoraDsl.Tests.TestCheckpoints;
using Xunit;
using static LoraDsl.Tests.Examples.RecipeRuns;

namespace LoraDsl.Tests.Selection;

// A recipe that asks for PEFT's selection options; generated (and checked by LORA032-036) in this project.
[LoraRecipe("test-selection-llama", typeof(Llama))]
partial class SelectionRecipe
{
    static void Configure(RecipeBuilder r) => r
        .Model(m => m.FromDirectory("models/tiny-llama"))
        .Lora(l => l.Rank(2).Alpha(4).Dropout(0).Target(Llama.QProj, Llama.VProj)
            .RankPattern(Llama.QProj, 8).AlphaPattern(@"layers\.1\.self_attn\.v_proj", 16).Exclude("model.layers.0.self_attn.v_proj"))
        .Data(d => d.JsonLines(Path.Combine(AppContext.BaseDirectory, "data", "sotu-instructions.jsonl")).InstructionTuning().MaxTokens(128).MaxRecords(8))
        .Training(t => t.LearningRate(1e-2).MaxSteps(2).BatchSize(2).Seed(4));
}

/// <summary>A recipe with rank_pattern, alpha_pattern and exclude_modules trains, and its saved adapter has the shapes and config asked.</summary>
[Collection(Training.TorchRandomCollection.Name)]
public class SelectionRecipeTests
{
    [Fact]
    public void Rank_pattern_and_exclude_train_with_the_A_and_B_shapes_asked_and_reload_with_the_same_ranks()
    {
        var checkpoint = LlamaInstruct.TinyLlama.Write(TinyCheckpoints.NewFolder("selection-llama"));
        var output = TinyCheckpoints.NewFolder("selection-llama-run");
        var report = SelectionRecipe.Run(Quiet(Set("model.path", checkpoint), Set("training.output_dir", output)));

        Assert.Equal(2, report.Training.FinalStep);
        Assert.All(report.Training.Losses, l => Assert.True(double.IsFinite(l)));
        // q_proj in both layers, v_proj in layer 1 only (layer 0's excluded).
        Assert.Equal(["model.layers.0.self_attn.q_proj", "model.layers.1.self_attn.q_proj", "model.layers.1.self_attn.v_proj"],
            report.Targets.Select(t => t.Path).Order(StringComparer.Ordinal));

        var adapter = report.AdapterDirectory!;
        var hidden = LlamaInstruct.TinyLlama.Hidden;
        var kv = hidden / LlamaInstruct.TinyLlama.Heads * LlamaInstruct.TinyLlama.KeyValueHeads;
        var stored = SafetensorsFile.Open(Path.Combine(adapter, AdapterFiles.WeightsFile));
        var shapes = stored.Names.ToDictionary(n => n, n => string.Join("x", stored.Info(n).Shape));
        Assert.Equal($"8x{hidden}", shapes["base_model.model.model.layers.0.self_attn.q_proj.lora_A.weight"]);
        Assert.Equal($"{hidden}x8", shapes["base_model.model.model.layers.1.self_attn.q_proj.lora_B.weight"]);
        Assert.Equal($"2x{hidden}", shapes["base_model.model.model.layers.1.self_attn.v_proj.lora_A.weight"]);
        Assert.Equal($"{kv}x2", shapes["base_model.model.model.layers.1.self_attn.v_proj.lora_B.weight"]);
        Assert.DoesNotContain("base_model.model.model.layers.0.self_attn.v_proj.lora_A.weight", shapes.Keys);

        var json = JsonNode.Parse(File.ReadAllText(Path.Combine(adapter, AdapterFiles.ConfigFile)))!.AsObject();
        Assert.Equal((2, 4.0), (json["r"]!.GetValue<int>(), json["lora_alpha"]!.GetValue<double>()));
        Assert.Equal("{\"q_proj\":8}", json["rank_pattern"]!.ToJsonString());
        Assert.Equal("{\"layers\\\\.1\\\\.self_attn\\\\.v_proj\":16}", json["alpha_pattern"]!.ToJsonString());
        Assert.Equal("[\"model.layers.0.self_attn.v_proj\"]", json["exclude_modules"]!.ToJsonString());

        using var fresh = ModelLoader.Load(checkpoint);
        var loaded = AdapterReader.Load(adapter, fresh);
        var scaling = loaded.Modules.ToDictionary(m => m.Path, m => (m.Rank, m.Adapter.Scaling));
        Assert.Equal((8, 0.5), scaling["model.layers.0.self_attn.q_proj"]);
        Assert.Equal((2, 8.0), scaling["model.layers.1.self_attn.v_proj"]);
        Assert.Equal(3, scaling.Count);
    }
}
