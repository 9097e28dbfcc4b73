using System.Text.Json.Nodes;
using LlamaInstruct;
using LoraDsl.Adapters;
using LoraDsl.Tests.TestCheckpoints;
using LoraDsl.Training;
using Xunit;

namespace LoraDsl.Tests.Examples;

/// <summary>AdaLoRA, NEFTune and LoRA+ declared in a recipe train from the CLI; a recipe without them refuses them as overrides.</summary>
[Collection(Training.TorchRandomCollection.Name)]
public class MethodsRecipeTests
{
    [Fact]
    public void AdaLora_neftune_and_loraplus_train_from_the_cli_and_write_a_PEFT_AdaLoRA_adapter()
    {
        var checkpoint = TinyLlama.Write(TinyCheckpoints.NewFolder("methods-llama"));
        var output = Path.Combine(TinyCheckpoints.NewFolder("methods-run"), "run");
        var (exit, stdout, stderr) = CliCapture.RunProgram(typeof(TinyLlama), ["train", "llama-instruct-methods", "--device", "cpu",
            "--set", $"model.path={checkpoint}", "--set", $"training.output_dir={output}", "--set", "data.max_records=40",
            "--set", "training.max_steps=8"]);
        Assert.True(exit == 0, stdout + stderr);

        var config = JsonNode.Parse(File.ReadAllText(Path.Combine(output, RunFolder.AdapterName, AdapterFiles.ConfigFile)))!;
        Assert.Equal("ADALORA", config["peft_type"]!.GetValue<string>());
        Assert.Equal(4, config["target_r"]!.GetValue<int>());
        Assert.NotNull(config["rank_pattern"]);
        var run = JsonNode.Parse(File.ReadAllText(Path.Combine(output, RunManifest.FileName)))!;
        Assert.Equal("5", run["settings"]!["training.neftune_alpha"]!.GetValue<string>());
        Assert.Equal("16", run["settings"]!["training.loraplus_ratio"]!.GetValue<string>());
        Assert.Equal("true", run["settings"]!["lora.use_adalora"]!.GetValue<string>());
        var losses = File.ReadLines(Path.Combine(output, MetricsFileWriter.JsonLinesFile)).Select(l => JsonNode.Parse(l)!)
            .Where(n => n["kind"]!.GetValue<string>() == "train").Select(n => n["loss"]!.GetValue<double>()).ToList();
        Assert.Equal(8, losses.Count);
        Assert.All(losses, l => Assert.True(double.IsFinite(l)));
    }

    [Fact]
    public void A_recipe_compiled_without_neftune_refuses_it_as_an_override()
    {
        var checkpoint = TinyLlama.Write(TinyCheckpoints.NewFolder("methods-refuse"));
        var (exit, _, stderr) = CliCapture.RunProgram(typeof(TinyLlama), ["train", "llama-instruct", "--set", $"model.path={checkpoint}",
            "--set", "training.neftune_alpha=5", "--set", $"training.output_dir={TinyCheckpoints.NewFolder("methods-refuse-run")}"]);
        Assert.Equal(1, exit);
        Assert.Contains("compiled with no NEFTune", stderr);
    }
}
