using LoraDsl.Lora;
using LoraDsl.Quantization;
using TorchSharp;
using TorchSharp.Modules;
using Xunit;
using static TorchSharp.torch;

namespace LoraDsl.Tests.Quantization;

public class Linear4BitTests
{
    static Linear4Bit Quantized(long outFeatures, long inFeatures, ScalarType computeDtype, bool bias, int seed)
    {
        var g = new Generator((ulong)seed);
        using var w = randn(outFeatures, inFeatures, generator: g);
        var b = bias ? new Parameter(randn(outFeatures, generator: g), requires_grad: false) : null;
        return new Linear4Bit(FourBitWeight.Quantize(w, FourBitDataType.Nf4, 64, doubleQuant: true), b, computeDtype);
    }

    [Fact]
    public void Forward_is_x_times_the_dequantised_weight_plus_bias()
    {
        using var layer = Quantized(24, 64, ScalarType.Float32, bias: true, seed: 1);
        using var x = randn(2, 5, 64, generator: new Generator(2));
        using var y = layer.call(x);
        using var w = layer.Dequantize();
        using var expected = matmul(x, w.t()) + layer.Bias!;
        Assert.Equal(new long[] { 2, 5, 24 }, y.shape);
        Assert.True(y.allclose(expected, rtol: 1e-5, atol: 1e-5));
    }

    [Fact]
    public void Bf16_compute_multiplies_in_bf16_and_returns_the_input_dtype()
    {
        using var layer = Quantized(24, 64, ScalarType.BFloat16, bias: false, seed: 3);
        using var x = randn(4, 64, generator: new Generator(4));
        using var y = layer.call(x);
        Assert.Equal(ScalarType.Float32, y.dtype);
        using var w = layer.Dequantize(ScalarType.BFloat16);
        using var xb = x.to(ScalarType.BFloat16);
        using var expected = matmul(xb, w.t()).to(ScalarType.Float32);
        Assert.True(y.allclose(expected, rtol: 1e-2, atol: 1e-2));
    }

    [Fact]
    public void State_dict_uses_bitsandbytes_names_and_codes_take_no_gradient()
    {
        using var layer = Quantized(8, 64, ScalarType.Float32, bias: true, seed: 5);
        var keys = layer.state_dict().Keys.Order(StringComparer.Ordinal).ToArray();
        Assert.Equal(new[]
        {
            "bias", "weight", "weight.absmax", "weight.nested_absmax", "weight.nested_quant_map", "weight.quant_map",
            "weight.quant_state.bitsandbytes__nf4",
        }, keys);
        Assert.Equal(["bias"], layer.named_parameters().Select(p => p.name));
        Assert.All(layer.state_dict().Values, t => Assert.False(t.requires_grad && t.dtype == ScalarType.Byte));
    }

    [Fact]
    public void QLoRA_gradients_of_A_B_and_the_input_equal_those_through_the_dequantised_weight()
    {
        var options = new LoraOptions { Rank = 4, Alpha = 8, Dropout = 0 };
        using var quantized = Quantized(24, 64, ScalarType.Float32, bias: true, seed: 6);
        var dense = nn.Linear(64, 24);
        using (no_grad())
        {
            using var w = quantized.Dequantize();
            dense.weight!.copy_(w);
            dense.bias!.copy_(quantized.Bias!);
        }
        var qlora = new LoraLinear(quantized, "q_proj");
        var lora = new LoraLinear(dense, "q_proj");
        var qa = qlora.AddAdapter("default", options);
        var a = lora.AddAdapter("default", options);
        LoraDsl.Tests.Lora.LoraLinearTests.Randomize(qa, 7);
        LoraDsl.Tests.Lora.LoraLinearTests.Randomize(a, 7);
        foreach (var p in new[] { dense.weight!, dense.bias!, quantized.Bias! }) p.requires_grad = false;

        using var input = randn(3, 5, 64, generator: new Generator(8));
        using var r = randn(3, 5, 24, generator: new Generator(9));
        var x1 = input.clone().requires_grad_(true);
        var x2 = input.clone().requires_grad_(true);
        using (var loss = (qlora.call(x1) * r).sum()) loss.backward();
        using (var loss = (lora.call(x2) * r).sum()) loss.backward();

        using var qaGrad = qa.A.grad!;
        using var aGrad = a.A.grad!;
        using var qbGrad = qa.B.grad!;
        using var bGrad = a.B.grad!;
        using var x1Grad = x1.grad!;
        using var x2Grad = x2.grad!;
        Assert.True(qaGrad.allclose(aGrad, rtol: 1e-5, atol: 1e-4));
        Assert.True(qbGrad.allclose(bGrad, rtol: 1e-5, atol: 1e-4));
        Assert.True(x1Grad.allclose(x2Grad, rtol: 1e-5, atol: 1e-5));
        Assert.True(qbGrad.abs().sum().ToSingle() > 0);
    }

    [Fact]
    public void Trained_bias_receives_the_summed_output_gradient()
    {
        using var layer = Quantized(8, 64, ScalarType.Float32, bias: true, seed: 10);
        layer.Bias!.requires_grad = true;
        using var x = randn(6, 64, generator: new Generator(11));
        using var r = randn(6, 8, generator: new Generator(12));
        using (var loss = (layer.call(x) * r).sum()) loss.backward();
        using var grad = layer.Bias.grad!;
        using var expected = r.sum([0L]);
        Assert.True(grad.allclose(expected, rtol: 1e-5, atol: 1e-5));
    }

    [Fact]
    public void Training_steps_through_a_4_bit_layer_leave_no_live_tensors_behind()
    {
        using var layer = Quantized(32, 64, ScalarType.BFloat16, bias: false, seed: 13);
        var lora = new LoraLinear(layer, "q_proj");
        var adapter = lora.AddAdapter("default", new LoraOptions { Rank = 4, Alpha = 8, Dropout = 0 });
        using var optimizer = optim.AdamW([adapter.A, adapter.B], 1e-2);
        using var x = randn(4, 64, generator: new Generator(14));
        var live = new List<long>();
        for (var step = 0; step < 4; step++)
        {
            using (NewDisposeScope())
            {
                optimizer.zero_grad();
                var loss = lora.call(x).to(ScalarType.Float32).pow(2).mean();
                loss.backward();
                optimizer.step();
            }
            GC.Collect();
            GC.WaitForPendingFinalizers();
            live.Add(DisposeScopeManager.Statistics.ThreadTotalLiveCount);
        }
        Assert.Equal(live[1], live[3]);
    }

    [Fact]
    public void Dora_over_a_4_bit_base_equals_dora_over_the_dequantised_weight()
    {
        var options = new LoraOptions { Rank = 4, Alpha = 8, Dropout = 0, UseDora = true };
        using var quantized = Quantized(16, 64, ScalarType.Float32, bias: false, seed: 15);
        var dense = nn.Linear(64, 16, hasBias: false);
        using (no_grad())
        using (var w = quantized.Dequantize())
            dense.weight!.copy_(w);
        var qdora = new LoraLinear(quantized, "o_proj");
        var dora = new LoraLinear(dense, "o_proj");
        LoraDsl.Tests.Lora.LoraLinearTests.Randomize(qdora.AddAdapter("default", options), 16);
        LoraDsl.Tests.Lora.LoraLinearTests.Randomize(dora.AddAdapter("default", options), 16);
        using var x = randn(3, 64, generator: new Generator(17));
        using var _ = no_grad();
        using var expected = dora.call(x);
        using var actual = qdora.call(x);
        Assert.True(actual.allclose(expected, rtol: 1e-5, atol: 1e-5));
    }
}
