using LoraDsl.Models;
using LoraDsl.Modules;
using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace LoraDsl.Quantization;

/// <summary>
/// transformers' <c>load_in_4bit</c> on a loaded model: every Linear and Conv1D becomes a <see cref="Linear4Bit"/>, except
/// the output heads, tied weights and the skip list; embeddings and norms are not linear and stay as they are.
/// </summary>
static class ModelQuantizer
{
    /// <summary>Output heads kept dense, as transformers' get_keys_to_not_convert keeps the output embedding.</summary>
    public static IReadOnlyList<string> HeadModules { get; } = ["lm_head", "classifier", "score"];

    /// <summary>Quantises <paramref name="model"/> in place; returns the quantised paths. Dense weights are freed as it goes.</summary>
    public static IReadOnlyList<string> Quantize(PretrainedModel model, QuantizationOptions options)
    {
        options.Validate();
        var skip = SkipList(options);
        var tied = model is ITiedWeights t ? t.TiedKeys.ToHashSet(StringComparer.Ordinal) : [];
        var paths = model.named_modules()
            .Where(m => m.module is Linear or Conv1D && !IsSkipped(m.name, skip) && !tied.Contains(m.name + ".weight"))
            .Select(m => m.name).ToList();
        foreach (var path in paths)
            ModuleSurgery.Replace(model, path, dense => FromDense(dense, options));
        model.Config.Raw[BitsAndBytesConfig.Field] = BitsAndBytesConfig.ToJson(options, skip);
        return paths;
    }

    /// <summary>The modules <see cref="Quantize"/> leaves dense: the heads plus the options' skip list.</summary>
    public static IReadOnlyList<string> SkipList(QuantizationOptions options) => [.. HeadModules.Concat(options.SkipModules).Distinct()];

    /// <summary>transformers' rule: an entry names a module or any module under it, matched on whole dotted segments.</summary>
    public static bool IsSkipped(string path, IReadOnlyList<string> skip) =>
        skip.Any(s => Dsl.PeftModuleMatch.IsNamed(path, s) || path.StartsWith(s + ".", StringComparison.Ordinal)
            || path.Contains("." + s + ".", StringComparison.Ordinal));

    /// <summary>
    /// Puts dense layers back in place of every <see cref="Linear4Bit"/> (weights dequantised to <paramref name="dtype"/>,
    /// GPT-2's Conv1D layout restored) and drops quantization_config: a plain Hugging Face model again.
    /// </summary>
    public static IReadOnlyList<string> Dequantize(PretrainedModel model, ScalarType dtype)
    {
        var paths = model.named_modules().Where(m => m.module is Linear4Bit).Select(m => m.name).ToList();
        foreach (var path in paths)
            ModuleSurgery.Replace(model, path, q => ToDense((Linear4Bit)q, dtype));
        model.Config.Raw.Remove(BitsAndBytesConfig.Field);
        return paths;
    }

    /// <summary>The state-dict names of every 4-bit layer's codes, scales, code books and quant_state.</summary>
    public static HashSet<string> StateKeys(nn.Module model) =>
        model.named_modules().Where(m => m.module is Linear4Bit)
            .SelectMany(m => ((Linear4Bit)m.module).Weight.StateTensors(m.name + ".weight").Select(t => t.Name))
            .ToHashSet(StringComparer.Ordinal);

    static Linear4Bit FromDense(nn.Module<Tensor, Tensor> dense, QuantizationOptions options)
    {
        using var _ = no_grad();
        var (weight, bias, conv) = dense switch
        {
            Linear l => (l.weight!, l.bias, false),
            Conv1D c => (c.Weight, c.Bias, true),
            _ => throw new ArgumentException($"Only Linear and Conv1D can be quantised, not {dense.GetType().Name}."),
        };
        using var outIn = conv ? weight.t().contiguous() : weight.alias();
        var quantised = FourBitWeight.Quantize(outIn, options.DataType, options.BlockSize, options.DoubleQuant);
        weight.Dispose();
        return new Linear4Bit(quantised, bias, options.ComputeDtype) { ReplacesConv1D = conv };
    }

    static nn.Module<Tensor, Tensor> ToDense(Linear4Bit q, ScalarType dtype)
    {
        using var weight = q.Dequantize(ScalarType.Float32);
        return ToDense(q, weight, dtype);
    }

    /// <summary>A Linear (or Conv1D, for a layer that was one) of <paramref name="dtype"/> holding <paramref name="weightOutIn"/> and q's bias.</summary>
    public static nn.Module<Tensor, Tensor> ToDense(Linear4Bit q, Tensor weightOutIn, ScalarType dtype)
    {
        using var _ = no_grad();
        var device = weightOutIn.device;
        if (q.ReplacesConv1D)
        {
            var conv = new Conv1D(q.InFeatures, q.OutFeatures, q.Bias is not null);
            using (var transposed = weightOutIn.t()) conv.Weight.copy_(transposed);
            if (q.Bias is { } b) conv.Bias!.copy_(b);
            conv.to(dtype).to(device);
            return conv;
        }
        var linear = nn.Linear(q.InFeatures, q.OutFeatures, q.Bias is not null, device, dtype);
        linear.weight!.copy_(weightOutIn);
        if (q.Bias is { } bias) linear.bias!.copy_(bias);
        return linear;
    }
}
