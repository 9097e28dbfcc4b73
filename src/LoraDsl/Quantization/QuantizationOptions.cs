using static TorchSharp.torch;

namespace LoraDsl.Quantization;

/// <summary>
/// How a base model is quantised to 4 bits at load time, as transformers' <c>BitsAndBytesConfig(load_in_4bit=True)</c>:
/// data type, double quantisation of the block scales, block size, the dtype the matmuls run in, and modules kept dense.
/// </summary>
public sealed record QuantizationOptions
{
    /// <summary>The block sizes bitsandbytes accepts for 4-bit weights.</summary>
    public static IReadOnlyList<int> ValidBlockSizes { get; } = [32, 64, 128, 256, 512, 1024, 2048, 4096];

    /// <summary>Block size of the double-quantised absmax values (bitsandbytes fixes it at 256).</summary>
    public const int NestedBlockSize = 256;

    /// <summary>NF4 (QLoRA's choice, the default here) or FP4 (bitsandbytes' own default).</summary>
    public FourBitDataType DataType { get; init; } = FourBitDataType.Nf4;

    /// <summary><c>bnb_4bit_use_double_quant</c>: store the per-block absmax in 8 bits (about 0.127 instead of 0.5 bits per weight).</summary>
    public bool DoubleQuant { get; init; } = true;

    /// <summary>Weights per absmax block (bitsandbytes' default 64).</summary>
    public int BlockSize { get; init; } = 64;

    /// <summary><c>bnb_4bit_compute_dtype</c>: the dtype the weight is dequantised into and multiplied in (BFloat16 or Float32).</summary>
    public ScalarType ComputeDtype { get; init; } = ScalarType.BFloat16;

    /// <summary>
    /// <c>llm_int8_skip_modules</c>: module names or paths kept dense, besides the output heads (lm_head, classifier,
    /// score), which are never quantised. "mlp" keeps every module under a segment named mlp.
    /// </summary>
    public IReadOnlyList<string> SkipModules { get; init; } = [];

    /// <summary>Throws <see cref="ArgumentException"/> naming the first setting that cannot work.</summary>
    public void Validate()
    {
        if (!Enum.IsDefined(DataType))
            throw new ArgumentException($"Quantization data type {DataType} is unknown: use Nf4 or Fp4.");
        if (!ValidBlockSizes.Contains(BlockSize))
            throw new ArgumentException($"Quantization block size {BlockSize} is not one bitsandbytes accepts ({string.Join(", ", ValidBlockSizes)}).");
        if (ComputeDtype is not (ScalarType.BFloat16 or ScalarType.Float32 or ScalarType.Float16))
            throw new ArgumentException($"Quantization compute dtype {ComputeDtype} is not supported: use BFloat16 or Float32 (Float16 on a GPU).");
        foreach (var skip in SkipModules)
            if (string.IsNullOrWhiteSpace(skip) || skip.StartsWith('.') || skip.EndsWith('.'))
                throw new ArgumentException($"Quantization skip module '{skip}' is not a module name or dotted path.");
    }
}
