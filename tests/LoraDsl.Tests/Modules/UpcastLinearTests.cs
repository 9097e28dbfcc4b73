using LoraDsl.Checkpoints;
using LoraDsl.Lora;
using LoraDsl.Models;
using LoraDsl.Modules;
using LoraDsl.Native;
using LoraDsl.Quantization;
using LoraDsl.Tests.TestCheckpoints;
using LoraDsl.Tests.Training;
using LoraDsl.Training;
using TorchSharp;
using Xunit;
using static TorchSharp.torch;

namespace LoraDsl.Tests.Modules;

/// <summary>
/// bf16 products run as fp32 products of upcast operands on CPUs without native bf16 matmuls: the result is the fp32
/// formula rounded once to bf16, gradients likewise, and a whole bf16 LoRA step matches the native bf16 path.
/// Runs alone: it switches the process-wide path.
/// </summary>
[Collection(TorchRandomCollection.Name)]
public class UpcastLinearTests
{
    static Tensor Bf16(Tensor t) => t.to(ScalarType.BFloat16);

    static Tensor F32(Tensor t) => t.to(ScalarType.Float32);

    static void Forced(bool float32, Action body)
    {
        var before = BFloat16Matmul.ForceFloat32;
        BFloat16Matmul.ForceFloat32 = float32;
        try { body(); }
        finally { BFloat16Matmul.ForceFloat32 = before; }
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void Output_and_gradients_are_the_fp32_formulas_rounded_to_bf16(bool weightInOut)
    {
        TorchNative.EnsureLoaded();
        manual_seed(3);
        using var x = Bf16(randn(2, 5, 12)).requires_grad_();
        using var w = Bf16(weightInOut ? randn(12, 7) : randn(7, 12)).requires_grad_();
        using var b = randn(7, dtype: ScalarType.BFloat16).requires_grad_();
        using var g = Bf16(randn(2, 5, 7));
        using var y = UpcastLinear.Apply(x, w, b, weightInOut);
        y.backward([g]);

        using var wOutIn = weightInOut ? F32(w).t() : F32(w);
        using var expected = Bf16(matmul(F32(x), wOutIn.t()) + F32(b));
        Assert.Equal(ScalarType.BFloat16, y.dtype);
        Assert.True(y.eq(expected).all().item<bool>(), "forward is not (x·Wᵀ + b) in fp32 rounded once to bf16");
        using var gradX = Bf16(matmul(F32(g), wOutIn));
        Assert.True(x.grad!.eq(gradX).all().item<bool>());
        using var gradOutIn = matmul(F32(g).reshape(-1, 7).t(), F32(x).reshape(-1, 12));
        using var gradW = Bf16(weightInOut ? gradOutIn.t() : gradOutIn);
        Assert.True(w.grad!.eq(gradW).all().item<bool>());
        using var gradB = Bf16(F32(g).reshape(-1, 7).sum([0L]));
        Assert.True(b.grad!.eq(gradB).all().item<bool>());
    }

    [Fact]
    public void A_frozen_linear_and_conv1d_give_native_bf16_results_within_bf16_rounding()
    {
        TorchNative.EnsureLoaded();
        manual_seed(4);
        using var linear = nn.Linear(64, 48, hasBias: true, dtype: ScalarType.BFloat16);
        var conv = new Conv1D(64, 48);
        conv.to(ScalarType.BFloat16);
        foreach (var p in linear.parameters().Concat(conv.parameters())) p.requires_grad_(false);
        using var x = Bf16(randn(3, 9, 64));
        foreach (nn.Module<Tensor, Tensor> layer in new nn.Module<Tensor, Tensor>[] { linear, conv })
        {
            Tensor native = null!, upcast = null!;
            Forced(false, () => native = UpcastLinear.Call(layer, x));
            Forced(true, () => upcast = UpcastLinear.Call(layer, x));
            using (native) using (upcast)
            {
                // Both accumulate in fp32 and round once; they may differ in the last bf16 bit (relative 2⁻⁷).
                using var diff = (F32(native) - F32(upcast)).abs();
                using var bound = F32(native).abs().mul(1.0 / 128).add(1e-3);
                Assert.True(diff.le(bound).all().item<bool>(), $"{layer.GetType().Name}: max difference {diff.max().item<float>()}");
            }
        }
    }

    [Fact]
    public void A_bf16_llama_lora_step_has_the_native_paths_loss_and_adapter_gradients()
    {
        TorchNative.EnsureLoaded();
        var dir = TinyCheckpoints.WriteLlama(TinyCheckpoints.NewFolder("upcast-llama"));
        var options = new LoraOptions { Rank = 4, Alpha = 8, Dropout = 0 };
        LoraTarget[] targets = [new("model.layers.0.self_attn.q_proj"), new("model.layers.1.mlp.down_proj")];
        using var ids = tensor(new long[] { 5, 17, 99, 3, 42, 7, 250, 11 }).reshape(1, 8);
        (float Loss, Dictionary<string, Tensor> Grads) Step(bool float32)
        {
            (float, Dictionary<string, Tensor>) result = default;
            Forced(float32, () =>
            {
                using var model = ModelLoader.Load(dir, new ModelLoadOptions { Device = "cpu", ComputeDtype = ScalarType.BFloat16 });
                LoraInjector.Inject(model, options, targets);
                manual_seed(5);
                using (no_grad())
                    foreach (var (_, p) in model.named_parameters().Where(p => p.name.Contains("lora_"))) p.normal_(0, 0.3);
                using var loss = TrainingLoss.Compute(model, new ModelInputs(ids), ids);
                loss.backward();
                result = (loss.item<float>(), model.named_parameters().Where(p => p.name.Contains("lora_"))
                    .ToDictionary(p => p.name, p => p.parameter.grad!.detach().clone()));
            });
            return result;
        }
        var (nativeLoss, nativeGrads) = Step(false);
        var (upcastLoss, upcastGrads) = Step(true);
        Assert.True(Math.Abs(nativeLoss - upcastLoss) < 0.005 * nativeLoss, $"loss native {nativeLoss} vs upcast {upcastLoss}");
        Assert.Equal(4, upcastGrads.Count);
        foreach (var (name, native) in nativeGrads)
        {
            var upcast = upcastGrads[name];
            Assert.Equal(ScalarType.Float32, upcast.dtype);
            using var diff = (native - upcast).norm();
            using var size = native.norm();
            Assert.True(diff.item<float>() <= 0.03 * size.item<float>() + 1e-6, $"{name}: gradients differ by {diff.item<float>()} of {size.item<float>()}");
        }
    }

    [Fact]
    public void An_nf4_layer_multiplies_its_bf16_dequantised_weight_in_fp32_and_rounds_once()
    {
        TorchNative.EnsureLoaded();
        manual_seed(6);
        using var dense = randn(32, 128);
        var weight = FourBitWeight.Quantize(dense, FourBitDataType.Nf4, 64, doubleQuant: true);
        using var x = Bf16(randn(4, 128)).requires_grad_();
        Tensor y = null!;
        Forced(true, () => y = FourBitMatmul.Apply(x, weight, null, ScalarType.BFloat16));
        using var w32 = F32(weight.Dequantize(ScalarType.BFloat16));
        using var expected = Bf16(matmul(F32(x), w32.t()));
        Assert.Equal(ScalarType.BFloat16, y.dtype);
        Assert.True(y.eq(expected).all().item<bool>());
        using var g = Bf16(randn(4, 32));
        Forced(true, () => y.backward([g]));
        using var gradX = Bf16(matmul(F32(g), w32));
        Assert.True(x.grad!.eq(gradX).all().item<bool>());
        y.Dispose();
    }

    [Fact]
    public void Attention_on_bf16_runs_in_fp32_and_stays_within_bf16_rounding_of_the_native_kernel()
    {
        TorchNative.EnsureLoaded();
        manual_seed(7);
        using var q = Bf16(randn(2, 3, 16, 8));
        using var k = Bf16(randn(2, 3, 16, 8));
        using var v = Bf16(randn(2, 3, 16, 8));
        Tensor native = null!, upcast = null!;
        Forced(false, () => native = BFloat16Matmul.ScaledDotProductAttention(q, k, v, null, isCausal: true));
        Forced(true, () => upcast = BFloat16Matmul.ScaledDotProductAttention(q, k, v, null, isCausal: true));
        using (native) using (upcast)
        {
            // Reference: causal softmax(q·kᵀ/√d)·v in fp32, rounded once.
            using var scores = matmul(F32(q), F32(k).transpose(-2, -1)).div(Math.Sqrt(8));
            using var masked = scores.masked_fill(ones(16, 16, dtype: ScalarType.Bool).triu(1), double.NegativeInfinity);
            using var expected = matmul(masked.softmax(-1), F32(v));
            Assert.Equal(ScalarType.BFloat16, upcast.dtype);
            using var upcastError = (F32(upcast) - expected).abs().max();
            using var nativeError = (F32(native) - expected).abs().max();
            Assert.True(upcastError.item<float>() <= 0.01f, $"upcast attention off by {upcastError.item<float>()}");
            Assert.True(upcastError.item<float>() <= nativeError.item<float>() + 1e-6f, $"upcast {upcastError.item<float>()} vs native {nativeError.item<float>()}");
        }
    }
}
