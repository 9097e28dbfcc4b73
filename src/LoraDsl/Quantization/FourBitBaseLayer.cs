using LoraDsl.Lora;
using TorchSharp;
using static TorchSharp.torch;

namespace LoraDsl.Quantization;

/// <summary>
/// <see cref="Linear4Bit"/> as a LoRA base layer: W is dequantised for DoRA norms and merges; a merge writes back by
/// requantising (dequantise, add, requantise), which rounds: <see cref="LastRoundingError"/> says by how much.
/// </summary>
sealed class FourBitBaseLayer(Linear4Bit module) : LoraBaseLayer(module, module.InFeatures, module.OutFeatures, fanInFanOut: false, module.Bias, module.Weight.Packed.device)
{
    /// <summary>Largest |requantised − requested| over the last <see cref="SetWeightOutIn"/>, and the largest |requested| for scale.</summary>
    public (double MaxAbsError, double MaxAbsWeight)? LastRoundingError { get; private set; }

    public override Tensor WeightOutIn() => module.Dequantize(ScalarType.Float32);

    public override void SetWeightOutIn(Tensor weightOutIn)
    {
        using var _ = no_grad();
        var current = module.Weight;
        using var source = weightOutIn.to(current.StoredDtype);
        var requantised = FourBitWeight.Quantize(source, current.DataType, current.BlockSize, current.DoubleQuant);
        using (var roundTrip = requantised.Dequantize(ScalarType.Float32))
        using (var error = (roundTrip - weightOutIn).abs())
            LastRoundingError = (error.max().ToDouble(), weightOutIn.abs().max().ToDouble());
        module.ReplaceWeight(requantised);
    }
}
