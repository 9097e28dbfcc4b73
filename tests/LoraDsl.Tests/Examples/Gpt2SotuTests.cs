using System.Text.Json;
using System.Text.Json.Nodes;
using Gpt2Sotu;
using LoraDsl.Adapters;
using LoraDsl.Checkpoints;
using LoraDsl.Engine;
using LoraDsl.Training;
using LoraDsl.Recipes;
using LoraDsl.Tests.TestCheckpoints;
using Xunit;
using static LoraDsl.Tests.Examples.RecipeRuns;

namespace LoraDsl.Tests.Examples;

/// <summary>The sotu-gpt2 recipe on a tiny GPT-2 folder (the real prepare-base takes minutes).</summary>
[Collection(Training.TorchRandomCollection.Name)]
public class Gpt2SotuTests
{
    [Fact]
    public void Sotu_recipe_adapts_a_tiny_gpt2_on_the_shipped_addresses_and_reports_perplexity_before_and_after()
    {
        // 4 layers as the recipe's KnownDepth says; 128 positions for its 128-token blocks; of 6 addresses, 15 % rounds to 1 held out.
        var checkpoint = TinyCheckpoints.WriteGpt2(TinyCheckpoints.NewFolder("ex-gpt2-sotu"), new TinyGpt2Spec { Layers = 4, Positions = 128 });
        var output = TinyCheckpoints.NewFolder("ex-gpt2-sotu-run");
        // The first 3,000 characters of 6 shipped addresses: evaluation over whole addresses takes too long for a unit test.
        var shipped = Path.Combine(AppContext.BaseDirectory, "data", "sotu-1989-2021.jsonl");
        var excerpts = Path.Combine(output, "sotu-excerpts.jsonl");
        File.WriteAllLines(excerpts, File.ReadLines(shipped).Take(6).Select(line =>
        {
            var record = JsonNode.Parse(line)!.AsObject();
            record["text"] = record["text"]!.GetValue<string>()[..3000];
            return record.ToJsonString();
        }));
        var report = SotuRecipe.Run(Quiet(Set("model.path", checkpoint), Set("training.max_steps", "2"), Set("training.output_dir", output), Set("data.files", excerpts)));

        Assert.Equal(2, report.Training.FinalStep);
        Assert.True(report.Before!.Perplexity is > 1 and < double.PositiveInfinity);
        Assert.True(report.Training.Evaluations[^1].Perplexity is > 1 and < double.PositiveInfinity);
        var adapter = Path.Combine(output, RunFolder.AdapterName);
        using (var config = JsonDocument.Parse(File.ReadAllText(Path.Combine(adapter, "adapter_config.json"))))
        {
            Assert.Equal("CAUSAL_LM", config.RootElement.GetProperty("task_type").GetString());
            var targets = config.RootElement.GetProperty("target_modules").EnumerateArray().Select(t => t.GetString()).ToList();
            Assert.Contains(targets, t => t!.EndsWith("c_attn", StringComparison.Ordinal));
            Assert.Contains(targets, t => t!.EndsWith("c_proj", StringComparison.Ordinal));
        }
        using var fresh = ModelLoader.Load(checkpoint);
        Assert.Equal(report.AdaptersPlaced, AdapterReader.Load(adapter, fresh).Modules.Count);
    }
}
