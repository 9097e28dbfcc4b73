using System.Text.Json;
using LlamaInstruct;
using LoraDsl.Adapters;
using LoraDsl.Checkpoints;
using LoraDsl.Engine;
using LoraDsl.Recipes;
using LoraDsl.Tests.TestCheckpoints;
using LoraDsl.Tokenization;
using LoraDsl.Training;
using Xunit;
using static LoraDsl.Tests.Examples.RecipeRuns;

namespace LoraDsl.Tests.Examples;

/// <summary>The llama-instruct example: its make-tiny-llama command, its recipe end to end, and the CLI on its adapter.</summary>
[Collection(Training.TorchRandomCollection.Name)]
public class LlamaInstructTests
{
    [Fact]
    public void Make_tiny_llama_writes_a_GQA_checkpoint_with_a_byte_fallback_SentencePiece_tokenizer()
    {
        var folder = Path.Combine(TinyCheckpoints.NewFolder("ex-make-llama"), "tiny");
        var (exit, stdout, stderr) = CliCapture.RunProgram(typeof(TinyLlama), ["make-tiny-llama", folder]);
        Assert.Equal(0, exit);
        Assert.Empty(stderr);
        Assert.Contains(folder, stdout);

        using (var config = JsonDocument.Parse(File.ReadAllText(Path.Combine(folder, "config.json"))))
        {
            Assert.Equal("llama", config.RootElement.GetProperty("model_type").GetString());
            Assert.True(config.RootElement.GetProperty("num_key_value_heads").GetInt32() < config.RootElement.GetProperty("num_attention_heads").GetInt32());
        }
        using (var model = ModelLoader.Load(folder, null, out var report))
        {
            Assert.Empty(report.UnexpectedKeys);
            Assert.Empty(report.NewlyInitializedKeys);
            Assert.Equal("llama", model.Config.ModelType);
        }

        var tokenizer = TokenizerLoader.Load(folder);
        Assert.Equal(TokenizerKind.SentencePiece, tokenizer.Kind);
        const string text = "### Instruction:\nWho delivered the 1962 State of the Union address? Café — 42%";
        var ids = tokenizer.Encode(text);
        Assert.Equal(SentencePieceModelFile.BeginId, ids[0]);
        Assert.DoesNotContain(SentencePieceModelFile.UnknownId, ids); // byte fallback covers "é", "—" and "\n"
        Assert.Equal(text, tokenizer.Decode(ids));
        Assert.Single(tokenizer.Encode(" the", addSpecialTokens: false)); // a word piece, not five characters
        Assert.True(ids.Max() < tokenizer.VocabSize);
    }

    [Fact]
    public void Make_tiny_llama_without_a_folder_fails_with_one_usage_line()
    {
        var (exit, _, stderr) = CliCapture.RunProgram(typeof(TinyLlama), ["make-tiny-llama"]);
        Assert.Equal(1, exit);
        Assert.Equal("error: usage: make-tiny-llama <dir>", stderr.Trim());
    }

    [Fact]
    public void Recipe_trains_a_tiny_llama_writes_a_PEFT_adapter_that_loads_back_and_merges_exactly()
    {
        var checkpoint = TinyLlama.Write(TinyCheckpoints.NewFolder("ex-llama"));
        var output = TinyCheckpoints.NewFolder("ex-llama-run");
        var report = InstructRecipe.Run(Quiet(Set("model.path", checkpoint), Set("training.max_steps", "3"), Set("training.output_dir", output), Set("data.max_records", "40")));

        Assert.Equal(3, report.Training.FinalStep);
        Assert.Equal(TinyLlama.Layers * 4, report.AdaptersPlaced); // q, k, v, o in each layer
        Assert.All(report.Training.Losses, l => Assert.True(double.IsFinite(l)));
        var adapter = Path.Combine(output, RunFolder.AdapterName);
        Assert.True(File.Exists(Path.Combine(adapter, "adapter_model.safetensors")));
        using (var config = JsonDocument.Parse(File.ReadAllText(Path.Combine(adapter, "adapter_config.json"))))
        {
            Assert.Equal("CAUSAL_LM", config.RootElement.GetProperty("task_type").GetString());
            Assert.Equal(16, config.RootElement.GetProperty("r").GetInt32());
            Assert.Equal(32, config.RootElement.GetProperty("lora_alpha").GetDouble());
        }
        Assert.True(File.Exists(Path.Combine(output, RunManifest.FileName)));

        using (var fresh = ModelLoader.Load(checkpoint))
            Assert.Equal(TinyLlama.Layers * 4, AdapterReader.Load(adapter, fresh).Modules.Count);

        var (inspectExit, inspectOut, _) = CliCapture.Run(["inspect", "--adapter", adapter]);
        Assert.Equal(0, inspectExit);
        Assert.Contains("q_proj", inspectOut);

        var merged = Path.Combine(TinyCheckpoints.NewFolder("ex-llama-merged"), "merged");
        Assert.Equal(0, CliCapture.Run(["merge", "--adapter", adapter, "--output", merged]).Exit);
        Assert.True(File.Exists(Path.Combine(merged, "tokenizer.model")));
        var adapted = CliCapture.Run(["logits", "--adapter", adapter, "--ids", "1,40,80,300,5"]);
        var mergedRun = CliCapture.Run(["logits", "--model", merged, "--ids", "1,40,80,300,5"]);
        var baseRun = CliCapture.Run(["logits", "--model", checkpoint, "--ids", "1,40,80,300,5"]);
        Assert.Equal([0, 0, 0], new[] { adapted.Exit, mergedRun.Exit, baseRun.Exit });
        var (adaptedLogits, mergedLogits) = (CliCapture.Logits(adapted.Stdout), CliCapture.Logits(mergedRun.Stdout));
        Assert.Equal(adaptedLogits.Length, mergedLogits.Length);
        Assert.True(adaptedLogits.Zip(mergedLogits).Max(p => Math.Abs(p.First - p.Second)) < 1e-4);
        Assert.True(adaptedLogits.Zip(CliCapture.Logits(baseRun.Stdout)).Max(p => Math.Abs(p.First - p.Second)) > 0, "three steps must move the adapter off zero");

        var (genExit, genOut, genErr) = CliCapture.Run(["generate", "--adapter", adapter, "--device", "cpu", "--prompt", "### Instruction:\nWho", "--max-new-tokens", "6", "--seed", "1"]);
        Assert.Equal(0, genExit);
        Assert.Empty(genErr);
        Assert.EndsWith("\n", genOut);
    }
}
