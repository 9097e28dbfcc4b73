using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace LoraDsl.Lora;

/// <summary>A base layer whose weight is a plain floating-point parameter, [out, in] or (fan-in-fan-out) [in, out].</summary>
sealed class DenseBaseLayer(nn.Module<Tensor, Tensor> module, Parameter weight, Parameter? bias, long inFeatures, long outFeatures, bool fanInFanOut)
    : LoraBaseLayer(module, inFeatures, outFeatures, fanInFanOut, bias, weight.device)
{
    public override Tensor WeightOutIn()
    {
        using var _ = no_grad();
        using var fp32 = weight.detach().to(ScalarType.Float32);
        return FanInFanOut ? fp32.t().contiguous() : fp32.clone();
    }

    public override void SetWeightOutIn(Tensor weightOutIn)
    {
        using var _ = no_grad();
        using var stored = FanInFanOut ? weightOutIn.t() : weightOutIn.alias();
        weight.copy_(stored);
    }
}
