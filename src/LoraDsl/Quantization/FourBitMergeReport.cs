namespace LoraDsl.Quantization;

/// <summary>What <see cref="QuantizedMerge.MergeIntoFourBit"/> did: merged paths, how many were requantised, and the rounding.</summary>
/// <param name="MaxAbsError">Largest |requantised − (W + Δ)| over every requantised weight.</param>
/// <param name="MaxAbsWeight">Largest |W + Δ|, for scale.</param>
public sealed record FourBitMergeReport(IReadOnlyList<string> MergedPaths, int Requantised, double MaxAbsError, double MaxAbsWeight)
{
    /// <summary>The warning to print when anything was requantised.</summary>
    public string? Warning => Requantised == 0 ? null :
        $"merging into 4-bit weights requantised {Requantised} layer(s): the merged weights differ from W + s·BA by up to " +
        $"{MaxAbsError:G3} (largest weight {MaxAbsWeight:G3}); merge into fp32/bf16 (--dtype) to keep the merge exact.";
}
