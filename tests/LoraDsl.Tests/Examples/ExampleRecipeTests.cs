using System.Text.Json;
using LoraDsl.Adapters;
using LoraDsl.Checkpoints;
using LoraDsl.Cli;
using LoraDsl.Engine;
using LoraDsl.Models;
using LoraDsl.Recipes;
using LoraDsl.Tests.TestCheckpoints;
using LoraDsl.Training;
using Xunit;
using static LoraDsl.Tests.Examples.RecipeRuns;
using static TorchSharp.torch;

namespace LoraDsl.Tests.Examples;

/// <summary>The quickstart recipe end to end, and the CLI commands on a tiny GPT-2 adapter.</summary>
[Collection(Training.TorchRandomCollection.Name)]
public class ExampleRecipeTests
{
    [Fact]
    public void Quickstart_recipe_runs_on_the_real_MiniLM_for_a_few_steps_and_predict_uses_its_adapter()
    {
        var output = TinyCheckpoints.NewFolder("ex-spam");
        var report = Quickstart.SpamRecipe.Run(Quiet(Set("training.max_steps", "2"), Set("training.output_dir", output), Set("data.max_records", "64")));
        Assert.Equal(12, report.AdaptersPlaced); // query and value of 6 layers
        Assert.NotNull(report.Before);
        var adapter = Path.Combine(output, RunFolder.AdapterName);
        Assert.Equal(["ham", "spam"], LabelFile.TryRead(adapter));
        using var config = JsonDocument.Parse(File.ReadAllText(Path.Combine(adapter, "adapter_config.json")));
        Assert.Equal("SEQ_CLS", config.RootElement.GetProperty("task_type").GetString());

        var (exit, stdout, _) = CliCapture.Run(["predict", "--adapter", adapter, "--device", "cpu", "--text", "FREE money!!! click now", "--text", "meeting notes attached"]);
        Assert.Equal(0, exit);
        var lines = stdout.Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.Equal(2, lines.Length);
        Assert.All(lines, l => Assert.Matches(@"^(ham|spam)\t0\.\d{4}\t", l));
    }

    [Fact]
    public void Cli_inspect_merge_logits_and_generate_work_on_a_tiny_gpt2_adapter()
    {
        var checkpoint = TinyCheckpoints.WriteGpt2(TinyCheckpoints.NewFolder("ex-gpt2"));
        var adapterDir = TinyCheckpoints.NewFolder("ex-gpt2-adapter");
        using (var model = ModelLoader.Load(checkpoint))
        {
            var injection = LoraDsl.Lora.LoraInjector.Inject(model, new LoraDsl.Lora.LoraOptions { Rank = 4, Alpha = 8 },
                [new LoraDsl.Lora.LoraTarget("transformer.h.0.attn.c_attn"), new LoraDsl.Lora.LoraTarget("transformer.h.1.mlp.c_fc")]);
            using (no_grad())
                foreach (var m in injection.Modules) m.Adapter.B.normal_(0, 0.5);
            AdapterWriter.Save(adapterDir, model, injection, checkpoint);
        }

        var (exit, stdout, _) = CliCapture.Run(["inspect", "--adapter", adapterDir]);
        Assert.Equal(0, exit);
        Assert.Contains("transformer.h.{layer}.attn.c_attn", stdout);
        Assert.Contains("trainable params:", stdout);

        var merged = Path.Combine(TinyCheckpoints.NewFolder("ex-merged"), "merged");
        Assert.Equal(0, CliCapture.Run(["merge", "--adapter", adapterDir, "--output", merged]).Exit);
        Assert.True(File.Exists(Path.Combine(merged, "config.json")));

        var (adaptedExit, adaptedJson, _) = CliCapture.Run(["logits", "--adapter", adapterDir, "--ids", "5,17,42,3"]);
        var (mergedExit, mergedJson, _) = CliCapture.Run(["logits", "--model", merged, "--ids", "5,17,42,3"]);
        var (baseExit, baseJson, _) = CliCapture.Run(["logits", "--model", checkpoint, "--ids", "5,17,42,3"]);
        Assert.Equal([0, 0, 0], new[] { adaptedExit, mergedExit, baseExit });
        var adapted = CliCapture.Logits(adaptedJson);
        var mergedLogits = CliCapture.Logits(mergedJson);
        Assert.Equal(adapted.Length, mergedLogits.Length);
        Assert.True(adapted.Zip(mergedLogits).Max(p => Math.Abs(p.First - p.Second)) < 1e-4);
        Assert.True(adapted.Zip(CliCapture.Logits(baseJson)).Max(p => Math.Abs(p.First - p.Second)) > 1e-3, "the adapter must change the logits");

        var (genExit, genOut, genErr) = CliCapture.Run(["generate", "--adapter", adapterDir, "--device", "cpu", "--prompt", "ab", "--max-new-tokens", "5"]);
        Assert.Equal(0, genExit);
        Assert.Empty(genErr);
        Assert.EndsWith("\n", genOut);
    }

    [Fact]
    public void Cli_reports_bad_input_in_one_line_with_exit_code_1()
    {
        var (exit, _, stderr) = CliCapture.Run(["train", "spam-minlm"]);
        Assert.Equal(1, exit);
        Assert.Contains("did you mean 'spam-minilm'", stderr);
        Assert.Single(stderr.Split('\n', StringSplitOptions.RemoveEmptyEntries));

        var missing = Path.Combine(TinyCheckpoints.NewFolder("ex-missing"), "nothing-here");
        (exit, _, stderr) = CliCapture.Run(["logits", "--model", missing, "--ids", "1"]);
        Assert.Equal(1, exit);
        Assert.Contains("nothing-here", stderr);
    }
}
