using LoraDsl.Adapters;
using LoraDsl.Checkpoints;
using LoraDsl.Lora;
using LoraDsl.Tests.Examples;
using LoraDsl.Tests.Gguf;
using LoraDsl.Tests.TestCheckpoints;
using LoraDsl.TrainableTokens;
using Xunit;
using static TorchSharp.torch;

namespace LoraDsl.Tests.TrainableTokens;

/// <summary>Trainable tokens through export-gguf: merged, llama.cpp computes what the unmerged adapter did; --lora-only refuses them.</summary>
[Collection(Training.TorchRandomCollection.Name)]
public sealed class TrainableTokensGgufTests(Xunit.Abstractions.ITestOutputHelper output)
{
    static readonly int[] Ids = [266, 72, 101, 108, 256, 32, 119, 111, 114, 260, 33, 10];

    static void SaveAdapter(string modelFolder, string adapterFolder)
    {
        using var model = ModelLoader.Load(modelFolder);
        var options = new LoraOptions { Rank = 4, Alpha = 8, Dropout = 0, TrainableTokens = new TrainableTokenSelection().WithInputEmbedding([TrainableToken.OfId(72), TrainableToken.OfId(108), TrainableToken.OfId(33)]) };
        var injection = LoraInjector.Inject(model, options, ["model.layers.0.self_attn.q_proj"]);
        var g = new Generator(13);
        using (no_grad())
            foreach (var p in model.parameters().Where(p => p.requires_grad))
                p.copy_(randn(p.shape, generator: g) * 0.3f);
        AdapterWriter.Save(adapterFolder, model, injection, modelFolder);
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void Merged_export_runs_in_llama_cpp_with_the_rows_the_adapter_trained(bool tied)
    {
        var folder = TinyCheckpoints.WriteLlama(TinyCheckpoints.NewFolder("gguf-tokens"), new TinyLlamaSpec { TieWordEmbeddings = tied });
        var adapter = Path.Combine(folder, "adapter");
        SaveAdapter(folder, adapter);
        float[][] expected, baseline;
        using (var model = ModelLoader.Load(folder))
            baseline = LlamaCppParityTests.Logits(model);
        using (var model = ModelLoader.Load(folder))
        {
            ModelAdapters.Of(model).Load("default", adapter);
            expected = LlamaCppParityTests.Logits(model);
        }
        var gguf = Path.Combine(folder, "out", "merged.gguf");
        var (exit, _, stderr) = CliCapture.Run(["export-gguf", "--model", folder, "--adapter", adapter, "--output", gguf, "--type", "f32"]);
        Assert.True(exit == 0, stderr);
        var actual = LlamaCpp.Logits(gguf, Ids);
        var (diff, range) = LlamaCppParityTests.Compare(expected, actual);
        Assert.True(diff <= 1e-3 * range, $"max |diff| {diff}, range {range}");
        // And the rows made a difference llama.cpp sees (not a no-op adapter).
        var (fromBase, _) = LlamaCppParityTests.Compare(baseline, actual);
        Assert.True(fromBase > 10 * diff, $"base vs merged {fromBase}, adapter vs merged {diff}");
        output.WriteLine($"tied={tied}: llama.cpp merged vs LoraDsl unmerged max |diff| {diff:G3} (logit range {range:G3}); vs the base model {fromBase:G3}");
    }

    [Fact]
    public void Lora_only_refuses_trainable_tokens_and_says_to_merge()
    {
        var folder = TinyCheckpoints.WriteLlama(TinyCheckpoints.NewFolder("gguf-tokens-refuse"));
        var adapter = Path.Combine(folder, "adapter");
        SaveAdapter(folder, adapter);
        var gguf = Path.Combine(folder, "a.gguf");
        var (exit, _, stderr) = CliCapture.Run(["export-gguf", "--model", folder, "--adapter", adapter, "--lora-only", "--output", gguf]);
        Assert.Equal(1, exit);
        Assert.Contains("trainable tokens (trainable_token_indices)", stderr);
        Assert.Contains("Export the merged model instead", stderr);
        Assert.False(File.Exists(gguf));
    }
}
