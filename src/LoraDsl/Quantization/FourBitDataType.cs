namespace LoraDsl.Quantization;

/// <summary>The 16-value code book of a 4-bit weight, as bitsandbytes names them.</summary>
public enum FourBitDataType
{
    /// <summary>NormalFloat4: quantiles of N(0, 1) (QLoRA's type; bitsandbytes' name "nf4").</summary>
    Nf4,

    /// <summary>A 4-bit float, 1 sign, 2 exponent, 1 mantissa bit (bitsandbytes' default "fp4").</summary>
    Fp4,
}
