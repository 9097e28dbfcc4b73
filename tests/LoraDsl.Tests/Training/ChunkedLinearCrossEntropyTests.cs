using LoraDsl.Checkpoints;
using LoraDsl.Lora;
using LoraDsl.Models;
using LoraDsl.Native;
using LoraDsl.Tests.TestCheckpoints;
using LoraDsl.Training;
using TorchSharp;
using Xunit;
using static TorchSharp.torch;

namespace LoraDsl.Tests.Training;

/// <summary>The chunked output-projection loss equals cross_entropy(hidden · Wᵀ) in value and in every gradient.</summary>
[Collection(TorchRandomCollection.Name)]
public class ChunkedLinearCrossEntropyTests
{
    static (Tensor Loss, Tensor HiddenGrad, Tensor WeightGrad) Plain(Tensor hidden, Tensor weight, Tensor targets, nn.Reduction reduction)
    {
        var h = hidden.detach().requires_grad_(true);
        var w = weight.detach().requires_grad_(true);
        using var logits = nn.functional.linear(h, w);
        var loss = nn.functional.cross_entropy(logits.reshape(-1, w.shape[0]), targets.reshape(-1), ignore_index: -100, reduction: reduction);
        loss.backward();
        return (loss.detach(), h.grad!, w.grad!);
    }

    static (Tensor Loss, long Count, Tensor HiddenGrad, Tensor WeightGrad) Chunked(Tensor hidden, Tensor weight, Tensor targets, nn.Reduction reduction, long rows)
    {
        var h = hidden.detach().requires_grad_(true);
        var w = weight.detach().requires_grad_(true);
        var (loss, count) = ChunkedLinearCrossEntropy.Compute(h, w, targets, reduction, rows);
        // A scaled loss (gradient accumulation divides it) must scale the gradients too.
        (loss * 0.5).backward();
        return (loss.detach(), count, h.grad! * 2, w.grad! * 2);
    }

    [Theory]
    [InlineData(nn.Reduction.Mean, 3L)]
    [InlineData(nn.Reduction.Mean, 64L)]
    [InlineData(nn.Reduction.Sum, 5L)]
    public void Value_and_gradients_match_plain_cross_entropy(nn.Reduction reduction, long rows)
    {
        TorchNative.EnsureLoaded();
        using var generator = new Generator(11);
        using var hidden = randn([2, 7, 12], generator: generator);
        using var weight = randn([37, 12], generator: generator);
        using var targets = randint(0, 37, [2, 7], generator: generator);
        targets[0, 2] = tensor(-100L);
        targets[1, 6] = tensor(-100L);

        var (want, wantHidden, wantWeight) = Plain(hidden, weight, targets, reduction);
        var (got, count, gotHidden, gotWeight) = Chunked(hidden, weight, targets, reduction, rows);

        Assert.Equal(12, count);
        Assert.Equal(want.item<float>(), got.item<float>(), 4);
        Assert.True(gotHidden.allclose(wantHidden, rtol: 1e-4, atol: 1e-6), "hidden-state gradients differ");
        Assert.True(gotWeight.allclose(wantWeight, rtol: 1e-4, atol: 1e-6), "weight gradients differ");
        // Ignored positions get no gradient at all.
        Assert.Equal(0f, gotHidden[0, 2].abs().max().item<float>());
    }

    [Fact]
    public void A_150k_vocabulary_with_most_rows_masked_matches_plain_cross_entropy()
    {
        // As with chat data: few trained positions among many masked ones; only the trained rows reach the head.
        TorchNative.EnsureLoaded();
        using var generator = new Generator(5);
        using var hidden = randn([2, 40, 8], generator: generator);
        using var weight = randn([150_000, 8], generator: generator);
        using var targets = full([2, 40], -100L, dtype: ScalarType.Int64);
        foreach (var (row, col) in new[] { (0, 3), (0, 4), (1, 30), (1, 38) })
            targets[row, col] = tensor((long)(row * 70_000 + col * 1_000));

        var (want, wantHidden, wantWeight) = Plain(hidden, weight, targets, nn.Reduction.Mean);
        var (got, count, gotHidden, gotWeight) = Chunked(hidden, weight, targets, nn.Reduction.Mean, 2);

        Assert.Equal(4, count);
        Assert.Equal(want.item<float>(), got.item<float>(), 4);
        Assert.True(gotHidden.allclose(wantHidden, rtol: 1e-4, atol: 1e-6), "hidden-state gradients differ");
        Assert.True(gotWeight.allclose(wantWeight, rtol: 1e-4, atol: 1e-6), "weight gradients differ");
        Assert.Equal(0f, gotHidden[0, 0].abs().max().item<float>());
    }

    [Fact]
    public void A_bf16_base_gets_its_loss_in_fp32_and_gradients_in_bf16()
    {
        TorchNative.EnsureLoaded();
        using var generator = new Generator(5);
        using var hidden = randn([3, 6, 16], generator: generator);
        using var weight = randn([41, 16], generator: generator);
        using var targets = randint(0, 41, [3, 6], generator: generator);
        // Reference: fp32 math on the bf16-rounded inputs.
        using var hidden16 = hidden.to(ScalarType.BFloat16);
        using var weight16 = weight.to(ScalarType.BFloat16);
        var (want, wantHidden, _) = Plain(hidden16.to(ScalarType.Float32), weight16.to(ScalarType.Float32), targets, nn.Reduction.Mean);

        var h = hidden16.detach().requires_grad_(true);
        var (loss, _) = ChunkedLinearCrossEntropy.Compute(h, weight16, targets, nn.Reduction.Mean, 4);
        Assert.Equal(ScalarType.Float32, loss.dtype);
        loss.backward();
        Assert.Equal(ScalarType.BFloat16, h.grad!.dtype);
        Assert.Equal(want.item<float>(), loss.item<float>(), 2);
        Assert.True(h.grad!.to(ScalarType.Float32).allclose(wantHidden, rtol: 0.05, atol: 2e-3), "bf16 hidden-state gradients are off");
    }

    [Fact]
    public void Frozen_inputs_take_no_gradient_and_no_grad_mode_builds_no_graph()
    {
        TorchNative.EnsureLoaded();
        using var generator = new Generator(3);
        using var hidden = randn([5, 8], generator: generator);
        using var weight = randn([20, 8], generator: generator);
        using var targets = randint(0, 20, [5], generator: generator);
        var (frozen, _) = ChunkedLinearCrossEntropy.Compute(hidden, weight, targets, nn.Reduction.Mean);
        Assert.False(frozen.requires_grad);

        using var h = hidden.detach().requires_grad_(true);
        using (no_grad())
        {
            var (evaluated, _) = ChunkedLinearCrossEntropy.Compute(h, weight, targets, nn.Reduction.Sum);
            Assert.False(evaluated.requires_grad);
        }
        Assert.Throws<ArgumentException>(() => ChunkedLinearCrossEntropy.Compute(hidden, weight.t(), targets, nn.Reduction.Mean));
    }

    [Fact]
    public void Rows_per_block_are_a_power_of_two_whose_logits_fit_in_128_MB()
    {
        Assert.Equal(512, ChunkedLinearCrossEntropy.RowsPerBlock(50257));
        Assert.Equal(1024, ChunkedLinearCrossEntropy.RowsPerBlock(32000));
        Assert.Equal(256, ChunkedLinearCrossEntropy.RowsPerBlock(128256));
        Assert.Equal(1, ChunkedLinearCrossEntropy.RowsPerBlock(1L << 30));
    }

    [Theory]
    [InlineData("gpt2")]
    [InlineData("llama")]
    public void A_LoRA_model_gets_the_same_loss_and_adapter_gradients_through_either_path(string architecture)
    {
        var folder = TinyCheckpoints.NewFolder("chunked-" + architecture);
        var dir = architecture == "gpt2" ? TinyCheckpoints.WriteGpt2(folder, new TinyGpt2Spec()) : TinyCheckpoints.WriteLlama(folder, new TinyLlamaSpec());
        using var model = ModelLoader.Load(dir);
        var target = architecture == "gpt2" ? "transformer.h.0.attn.c_attn" : "model.layers.0.self_attn.q_proj";
        LoraInjector.Inject(model, new LoraOptions { Rank = 4, Alpha = 8, Dropout = 0 }, [new LoraTarget(target)]);
        // B starts at zero, which would leave A's gradient zero on both paths; give B values.
        var adapters = model.named_parameters().Where(p => p.parameter.requires_grad).ToList();
        using (no_grad()) foreach (var (_, p) in adapters) p.normal_(0, 0.1);
        Assert.NotNull(TrainingLoss.ChunkableHead(model));

        using var ids = randint(0, model.Config.VocabSize, [2, 9]);
        using var labels = ids.clone();
        labels[1, 4] = tensor(-100L);
        var inputs = new ModelInputs(ids);

        var viaLogits = TrainingLoss.Compute(model.Forward(inputs), labels, ModelTask.CausalLanguageModeling);
        viaLogits.backward();
        var wanted = adapters.Select(p => p.parameter.grad!.clone()).ToList();
        foreach (var (_, p) in adapters) p.grad!.zero_();

        var chunked = TrainingLoss.Compute(model, inputs, labels);
        chunked.backward();
        Assert.Equal(viaLogits.item<float>(), chunked.item<float>(), 4);
        for (var i = 0; i < adapters.Count; i++)
            Assert.True(adapters[i].parameter.grad!.allclose(wanted[i], rtol: 1e-3, atol: 1e-6), $"{adapters[i].name} gradient differs");

        var (sum, count) = TrainingLoss.ComputeSum(model, inputs, labels);
        Assert.Equal(2 * 8 - 1, count);
        Assert.Equal(viaLogits.item<float>() * count, sum.item<float>(), 2);
    }
}
