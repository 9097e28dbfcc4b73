using LoraDsl.Lora;
using TorchSharp;
using TorchSharp.Modules;
using Xunit;
using static TorchSharp.torch;

namespace LoraDsl.Tests.Lora;

public class LoraBaseLayerTests
{
    /// <summary>Stands in for a quantised linear: it stores "codes" = 4·W, not W.</summary>
    sealed class CodedLinear : nn.Module<Tensor, Tensor>
    {
        public readonly Parameter codes;

        public CodedLinear(long inFeatures, long outFeatures) : base("CodedLinear")
        {
            codes = new Parameter(randn(outFeatures, inFeatures) * 4, requires_grad: false);
            RegisterComponents();
        }

        public override Tensor forward(Tensor x)
        {
            using var weight = codes / 4;
            return nn.functional.linear(x, weight);
        }
    }

    sealed class CodedBase(CodedLinear module) : LoraBaseLayer(module, module.codes.shape[1], module.codes.shape[0], false, null, module.codes.device)
    {
        public override Tensor WeightOutIn()
        {
            using var _ = no_grad();
            return module.codes.detach() / 4;
        }

        public override void SetWeightOutIn(Tensor weightOutIn)
        {
            using var _ = no_grad();
            using var coded = weightOutIn * 4;
            module.codes.copy_(coded);
        }
    }

    [Fact]
    public void A_registered_base_kind_is_wrapped_merged_and_unmerged_through_its_own_storage()
    {
        LoraBaseLayer.Register(m => m is CodedLinear coded ? new CodedBase(coded) : null);
        var coded = new CodedLinear(8, 6);
        var layer = new LoraLinear(coded, "model.layers.0.self_attn.q_proj");
        Assert.IsType<CodedBase>(layer.Base);
        var adapter = layer.AddAdapter("default", new LoraOptions { Rank = 2, Alpha = 4, Dropout = 0 });
        LoraLinearTests.Randomize(adapter, 8);
        using var x = randn(3, 8);
        using var unmerged = layer.call(x);
        using var original = coded.codes.detach().clone();
        layer.Merge();
        using var merged = layer.call(x);
        Assert.True(merged.allclose(unmerged, rtol: 1e-5, atol: 1e-5));
        using var delta = 2.0 * matmul(adapter.B, adapter.A);
        using var expectedCodes = original + 4 * delta;
        Assert.True(coded.codes.allclose(expectedCodes, rtol: 1e-5, atol: 1e-5));
    }
}
