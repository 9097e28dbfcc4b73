using LoraDsl.Checkpoints;
using LoraDsl.Generation;
using LoraDsl.Models;
using LoraDsl.Models.Llama;
using LoraDsl.Tests.TestCheckpoints;
using LoraDsl.Training;
using TorchSharp;
using Xunit;
using static TorchSharp.torch;

namespace LoraDsl.Tests.Models.Families;

/// <summary>Qwen3, Phi-3, Gemma 2 and Gemma 3 text: loaded logits equal the formulas of <see cref="FamilyReference"/>.</summary>
public class FamilyLogitsTests(Xunit.Abstractions.ITestOutputHelper output)
{
    static readonly long[] Prompt = [5, 17, 99, 3, 250, 42, 7];

    static Tensor Logits(PretrainedModel model, long[] ids, KvCache? cache = null)
    {
        using var _ = no_grad();
        using var input = tensor(ids).unsqueeze(0);
        return model.Forward(new ModelInputs(input) { Cache = cache });
    }

    [Theory]
    [InlineData("qwen3")]
    [InlineData("phi3")]
    [InlineData("gemma2")]
    [InlineData("gemma3")]
    public void Logits_equal_the_families_formulas(string family)
    {
        var spec = TinyFamily.Named(family);
        using var model = ModelLoader.Load(spec.Write(), null, out var report);
        Assert.Empty(report.UnexpectedKeys);
        using var logits = Logits(model, Prompt);
        using var expected = FamilyReference.Logits(spec, Prompt);
        Assert.Equal(new long[] { 1, Prompt.Length, spec.Vocab }, logits.shape);
        var error = (logits[0].to(ScalarType.Float64) - expected).abs().max().item<double>();
        output.WriteLine($"{family}: max |logit - reference| = {error:E2}");
        Assert.True(error < 1e-4, $"{family}: max error {error}");
    }

    [Theory]
    [InlineData("qwen3")]
    [InlineData("phi3")]
    [InlineData("gemma2")]
    [InlineData("gemma3")]
    public void Cached_decoding_gives_the_full_forward_logits(string family)
    {
        var spec = TinyFamily.Named(family);
        using var model = ModelLoader.Load(spec.Write());
        using var full = Logits(model, Prompt);
        using var cache = new KvCache(spec.Layers);
        var steps = new List<Tensor> { Logits(model, Prompt[..3], cache) };
        for (var i = 3; i < Prompt.Length; i++) steps.Add(Logits(model, [Prompt[i]], cache));
        using var incremental = cat(steps, 1);
        Assert.True(incremental.allclose(full, rtol: 0, atol: 1e-5), $"max error {(incremental - full).abs().max().item<float>()}");
    }

    [Fact]
    public void Gemma2s_chunked_training_loss_applies_the_final_softcap()
    {
        var spec = TinyFamily.Gemma2;
        using var model = ModelLoader.Load(spec.Write());
        Assert.Equal(1.5, ((ICausalLanguageModel)model).FinalLogitSoftcap);
        Assert.NotNull(TrainingLoss.ChunkableHead(model));
        using var ids = tensor(Prompt).unsqueeze(0);
        // The loss of the soft-capped reference logits, computed here by cross-entropy over them.
        using var reference = FamilyReference.Logits(spec, Prompt);
        using var expected = nn.functional.cross_entropy(reference[..^1], tensor(Prompt[1..]));
        using var loss = TrainingLoss.Compute(model, new ModelInputs(ids), ids);
        Assert.True(Math.Abs(loss.item<float>() - expected.item<double>()) < 1e-4, $"loss {loss.item<float>()} vs {expected.item<double>()}");
    }

    [Fact]
    public void Chunked_softcapped_cross_entropy_has_the_gradients_of_the_plain_one()
    {
        manual_seed(3);
        using var hidden = randn(6, 8).requires_grad_(true);
        using var weight = randn(11, 8).requires_grad_(true);
        using var targets = tensor(new long[] { 1, 4, -100, 7, 0, 10 });
        using var plain = nn.functional.cross_entropy((hidden.matmul(weight.T) / 2.0).tanh() * 2.0, targets, ignore_index: -100);
        var (expectedHidden, expectedWeight) = Gradients(plain, hidden, weight);
        var (chunked, _) = ChunkedLinearCrossEntropy.Compute(hidden, weight, targets, nn.Reduction.Mean, blockRows: 4, softcap: 2.0);
        Assert.True(Math.Abs(chunked.item<float>() - plain.item<float>()) < 1e-5);
        var (gotHidden, gotWeight) = Gradients(chunked, hidden, weight);
        Assert.True(gotHidden.allclose(expectedHidden, rtol: 0, atol: 1e-5));
        Assert.True(gotWeight.allclose(expectedWeight, rtol: 0, atol: 1e-5));
    }

    static (Tensor, Tensor) Gradients(Tensor loss, Tensor a, Tensor b)
    {
        var grads = torch.autograd.grad([loss], [a, b]);
        return (grads[0], grads[1]);
    }

    [Fact]
    public void Configs_read_the_family_options()
    {
        var gemma3 = LlamaConfig.FromJson(TinyFamily.Gemma3.Config(), null);
        Assert.Equal([true, true, false], gemma3.SlidingLayers);
        Assert.Equal(100, gemma3.LocalRopeTheta);
        Assert.True(gemma3.QkNorm && gemma3.GemmaStyle && gemma3.TieWordEmbeddings);
        Assert.Null(gemma3.AttentionLogitSoftcap);
        var gemma2 = LlamaConfig.FromJson(TinyFamily.Gemma2.Config(), null);
        Assert.Equal(Math.Pow(24, -0.5), gemma2.AttentionScale!.Value, 12);
        var phi3 = LlamaConfig.FromJson(TinyFamily.Phi3.Config(), null);
        Assert.Equal(4, phi3.RotaryDimension);
        Assert.Equal(Math.Sqrt(1 + Math.Log(4) / Math.Log(64)), phi3.RopeScaling!.AttentionFactor, 12);
        // Gemma 2's real layer pattern: even layers slide.
        var real = TinyFamily.Gemma2.Config();
        real["num_hidden_layers"] = 4;
        Assert.Equal([true, false, true, false], LlamaConfig.FromJson(real, null).SlidingLayers);
        // A multimodal gemma3 config is read from its text_config.
        var wrapped = new System.Text.Json.Nodes.JsonObject { ["model_type"] = "gemma3", ["text_config"] = TinyFamily.Gemma3.Config() };
        Assert.Equal("gemma3", LlamaConfig.FromJson(wrapped, null).ModelType);
    }

    [Fact]
    public void A_multimodal_gemma3_folder_loads_its_text_model_and_skips_the_vision_tower()
    {
        var spec = TinyFamily.Gemma3;
        var config = new System.Text.Json.Nodes.JsonObject { ["model_type"] = "gemma3", ["text_config"] = spec.Config() };
        // The hub layout of Gemma3ForConditionalGeneration: language_model.model.*, plus vision weights.
        var tensors = spec.Tensors().ToDictionary(kv => "language_model." + kv.Key, kv => kv.Value);
        tensors["vision_tower.vision_model.embeddings.patch_embedding.weight"] = zeros(4, 3, 2, 2);
        tensors["multi_modal_projector.mm_input_projection_weight"] = zeros(4, spec.Hidden);
        var folder = TinyCheckpoints.WriteFolder(TinyCheckpoints.NewFolder("gemma3-mm"), config, tensors);
        using var model = ModelLoader.Load(folder, null, out var report);
        Assert.Empty(report.UnexpectedKeys);
        Assert.Equal("gemma3", model.Config.ModelType);
        using var logits = Logits(model, Prompt);
        using var expected = FamilyReference.Logits(spec, Prompt);
        Assert.True((logits[0].to(ScalarType.Float64) - expected).abs().max().item<double>() < 1e-4);
    }

    [Fact]
    public void Phi3_switches_to_the_long_factors_past_the_original_context()
    {
        var config = LlamaConfig.FromJson(TinyFamily.Phi3.Config(), null);
        using var shortPositions = arange(0, 64, ScalarType.Int64).unsqueeze(0);
        using var longPositions = arange(0, 65, ScalarType.Int64).unsqueeze(0);
        var (shortCos, _) = LlamaRotaryEmbedding.CosSin(shortPositions, config, ScalarType.Float64);
        var (longCos, _) = LlamaRotaryEmbedding.CosSin(longPositions, config, ScalarType.Float64);
        // Pair 1 at position 10: short factor 2.5, long factor 10; base 10000, rotary dim 4.
        var f = Math.Pow(10000, -2.0 / 4);
        var attention = config.RopeScaling!.AttentionFactor;
        Assert.Equal(Math.Cos(10 * f / 2.5) * attention, shortCos[0, 0, 10, 1].item<double>(), 5);
        Assert.Equal(Math.Cos(10 * f / 10) * attention, longCos[0, 0, 10, 1].item<double>(), 5);
    }
}
