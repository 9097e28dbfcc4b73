using System.Text.Json.Nodes;
using LlamaInstruct;
using LoraDsl.Tests.TestCheckpoints;
using LoraDsl.Training;
using Xunit;
using static LoraDsl.Tests.Examples.RecipeRuns;

namespace LoraDsl.Tests.Examples;

/// <summary>`reproduce run.json`: same recipe, overrides and seed give identical losses; changed data or recipe source is refused.</summary>
[Collection(Training.TorchRandomCollection.Name)]
public class ReproduceTests
{
    [Fact]
    public void Reproduce_gives_identical_losses_and_refuses_changed_data_or_source_unless_forced()
    {
        var checkpoint = TinyLlama.Write(TinyCheckpoints.NewFolder("repro-llama"));
        var root = TinyCheckpoints.NewFolder("repro");
        var data = Path.Combine(root, "instructions.jsonl");
        File.WriteAllLines(data, File.ReadLines(Path.Combine(AppContext.BaseDirectory, "data", "sotu-instructions.jsonl")).Take(40));
        var output = Path.Combine(root, "run");
        var first = InstructRecipe.Run(Quiet(Set("model.path", checkpoint), Set("data.files", data), Set("training.max_steps", "3"),
            Set("lora.dropout", "0.2"), Set("training.output_dir", output)));
        Assert.Equal(TrainingStatus.Completed, first.Training.Status);
        var runJson = Path.Combine(output, RunManifest.FileName);

        var same = CliCapture.RunProgram(typeof(TinyLlama), ["reproduce", runJson, "--output", Path.Combine(root, "again"), "--device", "cpu"]);
        Assert.True(same.Exit == 0, same.Stdout + same.Stderr);
        Assert.Contains("3 of 3 recorded steps compared, losses identical", same.Stdout);

        File.AppendAllText(data, "{\"instruction\":\"one more\",\"output\":\"line\"}\n");
        var refused = CliCapture.RunProgram(typeof(TinyLlama), ["reproduce", runJson, "--output", Path.Combine(root, "refused")]);
        Assert.Equal(2, refused.Exit);
        Assert.Contains($"data file '{data}' changed", refused.Stderr);
        Assert.False(Directory.Exists(Path.Combine(root, "refused")));

        var forced = CliCapture.RunProgram(typeof(TinyLlama), ["reproduce", runJson, "--force", "--output", Path.Combine(root, "forced"), "--device", "cpu"]);
        Assert.Contains("changed", forced.Stderr);
        Assert.True(Directory.Exists(Path.Combine(root, "forced")));

        File.WriteAllLines(data, File.ReadAllLines(data).SkipLast(1));
        var manifest = JsonNode.Parse(File.ReadAllText(runJson))!;
        manifest["recipe"]!["source_sha256"] = new string('0', 64);
        File.WriteAllText(runJson, manifest.ToJsonString());
        var edited = CliCapture.RunProgram(typeof(TinyLlama), ["reproduce", runJson, "--output", Path.Combine(root, "edited")]);
        Assert.Equal(2, edited.Exit);
        Assert.Contains("source changed", edited.Stderr);
    }
}
