using LoraDsl.Quantization;
using static TorchSharp.torch;

namespace LoraDsl.Recipes;

/// <summary>
/// The <c>r.Quantization(q => ...)</c> part of a recipe, as transformers' <c>BitsAndBytesConfig</c>: a 4-bit base
/// (QLoRA) with NF4 or FP4 codes, double quantisation, a block size and the compute dtype.
/// </summary>
public sealed class QuantizationBuilder
{
    readonly RecipeBuilder recipe;

    internal QuantizationBuilder(RecipeBuilder recipe) => this.recipe = recipe;

    /// <summary>NormalFloat4, QLoRA's data type (bitsandbytes' own default is fp4).</summary>
    public QuantizationBuilder Nf4() => DataType(FourBitDataType.Nf4);

    public QuantizationBuilder Fp4() => DataType(FourBitDataType.Fp4);

    public QuantizationBuilder DataType(FourBitDataType type)
    {
        recipe.Draft = recipe.Draft with { QuantizationType = type };
        return this;
    }

    public QuantizationBuilder DoubleQuant(bool enabled = true) => Set(o => o with { DoubleQuant = enabled });

    public QuantizationBuilder BlockSize(int weights) => Set(o => o with { BlockSize = weights });

    /// <summary>BFloat16 (default) or Float32.</summary>
    public QuantizationBuilder ComputeDtype(ScalarType dtype) => Set(o => o with { ComputeDtype = dtype });

    /// <summary>Modules kept dense besides embeddings, norms and the head (llm_int8_skip_modules).</summary>
    public QuantizationBuilder SkipModules(params string[] modules) => Set(o => o with { SkipModules = modules });

    QuantizationBuilder Set(Func<QuantizationOptions, QuantizationOptions> change)
    {
        recipe.Draft = recipe.Draft with { Quantization = change(recipe.Draft.Quantization) };
        return this;
    }
}
