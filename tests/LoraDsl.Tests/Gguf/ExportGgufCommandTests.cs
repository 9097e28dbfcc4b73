using LoraDsl.Adapters;
using LoraDsl.Checkpoints;
using LoraDsl.Gguf;
using LoraDsl.Lora;
using LoraDsl.Tests.Examples;
using LoraDsl.Tests.TestCheckpoints;
using Xunit;
using static TorchSharp.torch;

namespace LoraDsl.Tests.Gguf;

/// <summary>`export-gguf` end to end: a PEFT adapter folder merged into a GGUF llama.cpp runs, the Modelfile, and the refusals.</summary>
public sealed class ExportGgufCommandTests
{
    [Fact]
    public void Merged_export_runs_in_llama_cpp_with_the_adapted_logits_and_writes_a_modelfile()
    {
        var folder = TinyCheckpoints.WriteLlama(TinyCheckpoints.NewFolder("gguf-cli"));
        var adapter = Path.Combine(folder, "adapter");
        SaveAdapter(folder, adapter, new LoraOptions { Rank = 4, Alpha = 16, Dropout = 0 });
        float[][] expected;
        using (var model = ModelLoader.Load(folder))
        {
            ModelAdapters.Of(model).Load("default", adapter);
            expected = LlamaCppParityTests.Logits(model);
        }
        var gguf = Path.Combine(folder, "out", "merged.gguf");
        var (exit, stdout, stderr) = CliCapture.Run(["export-gguf", "--model", folder, "--adapter", adapter, "--output", gguf, "--type", "f32"]);
        Assert.True(exit == 0, stderr);
        Assert.Contains("merged 2 modules", stdout);
        var (diff, range) = LlamaCppParityTests.Compare(expected, LlamaCpp.Logits(gguf, [266, 72, 101, 108, 256, 32, 119, 111, 114, 260, 33, 10]));
        Assert.True(diff <= 1e-3 * range, $"max |diff| {diff}, range {range}");
        var modelfile = File.ReadAllText(Path.Combine(folder, "out", "Modelfile"));
        Assert.Contains("FROM ./merged.gguf", modelfile);
        Assert.Contains("PARAMETER stop \"<|endoftext|>\"", modelfile);
    }

    [Fact]
    public void Lora_only_writes_the_adapter_and_a_modelfile_with_from_and_adapter()
    {
        var folder = TinyCheckpoints.WriteLlama(TinyCheckpoints.NewFolder("gguf-cli-lora"));
        var adapter = Path.Combine(folder, "adapter");
        SaveAdapter(folder, adapter, new LoraOptions { Rank = 4, Alpha = 8, Dropout = 0 });
        var gguf = Path.GetRelativePath(Environment.CurrentDirectory, Path.Combine(folder, "a.gguf"));
        var (exit, _, stderr) = CliCapture.Run(["export-gguf", "--model", folder, "--adapter", adapter, "--lora-only", "--output", gguf, "--base-gguf", Path.Combine(folder, "base.gguf")]);
        Assert.True(exit == 0, stderr);
        var modelfile = File.ReadAllText(Path.Combine(folder, "Modelfile"));
        Assert.Contains("FROM ./base.gguf", modelfile);
        Assert.Contains("ADAPTER ./a.gguf", modelfile);
    }

    [Theory]
    [InlineData("dora")]
    [InlineData("modules_to_save")]
    public void Lora_only_refuses_what_llama_cpp_adapters_cannot_hold_and_says_to_merge(string kind)
    {
        var folder = TinyCheckpoints.WriteLlama(TinyCheckpoints.NewFolder("gguf-cli-refuse"));
        var adapter = Path.Combine(folder, "adapter");
        SaveAdapter(folder, adapter, kind == "dora"
            ? new LoraOptions { Rank = 4, Alpha = 8, Dropout = 0, UseDora = true }
            : new LoraOptions { Rank = 4, Alpha = 8, Dropout = 0, ModulesToSave = ["lm_head"] });
        var gguf = Path.Combine(folder, "a.gguf");
        var (exit, _, stderr) = CliCapture.Run(["export-gguf", "--model", folder, "--adapter", adapter, "--lora-only", "--output", gguf]);
        Assert.Equal(1, exit);
        Assert.Contains(kind == "dora" ? "DoRA" : "modules_to_save", stderr);
        Assert.Contains("Export the merged model instead", stderr);
        Assert.False(File.Exists(gguf));
    }

    [Fact]
    public void Modelfile_of_a_chatml_model_stops_at_im_end_and_carries_the_template()
    {
        var vocabulary = new GgufVocabulary
        {
            Model = "gpt2",
            Pre = "qwen2",
            Tokens = ["a", "<|endoftext|>", "<|im_start|>", "<|im_end|>"],
            TokenTypes = [1, 3, 3, 3],
            EosId = 1,
            ChatTemplate = "{% for m in messages %}<|im_start|>{{ m.role }}\n{{ m.content }}<|im_end|>\n{% endfor %}",
        };
        var text = OllamaModelfile.Text("./m.gguf", null, vocabulary);
        Assert.Contains("PARAMETER stop \"<|endoftext|>\"", text);
        Assert.Contains("PARAMETER stop \"<|im_end|>\"", text);
        Assert.Contains("TEMPLATE \"\"\"{{ if .System }}<|im_start|>system", text);
        Assert.DoesNotContain("ADAPTER", text);
    }

    /// <summary>An adapter on q_proj and v_proj of layer 0 with random, non-zero A and B.</summary>
    static void SaveAdapter(string modelFolder, string adapterFolder, LoraOptions options)
    {
        using var model = ModelLoader.Load(modelFolder);
        var injection = LoraInjector.Inject(model, options, ["model.layers.0.self_attn.q_proj", "model.layers.0.self_attn.v_proj"]);
        var g = new Generator(11);
        using (no_grad())
            foreach (var module in injection.Modules)
            {
                module.Adapter.A.copy_(randn(module.Adapter.A.shape, generator: g) * 0.3f);
                module.Adapter.B.copy_(randn(module.Adapter.B.shape, generator: g) * 0.3f);
            }
        AdapterWriter.Save(adapterFolder, model, injection, modelFolder);
    }
}
