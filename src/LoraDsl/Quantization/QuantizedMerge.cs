using LoraDsl.Lora;
using LoraDsl.Models;
using LoraDsl.Modules;
using TorchSharp;
using static TorchSharp.torch;

namespace LoraDsl.Quantization;

/// <summary>
/// merge_and_unload over a 4-bit base, two ways: into a dense fp32/bf16 model (dequantise, add s·BA, nothing rounded
/// to 4 bits: what users usually want), or back into the 4-bit weights (dequantise, add, requantise), which rounds.
/// </summary>
public static class QuantizedMerge
{
    /// <summary>
    /// Folds every active adapter into W = dequant(codes) + Δ and puts a dense Linear/Conv1D of <paramref name="dtype"/>
    /// in place of every 4-bit layer (adapted or not); quantization_config is dropped. Returns the merged paths.
    /// </summary>
    public static IReadOnlyList<string> MergeToDense(PretrainedModel model, ScalarType dtype)
    {
        TiedWeightMerge.Untie(model);
        var wrapped = model.named_modules().Where(m => m.module is LoraLinear { Base.Module: Linear4Bit }).Select(m => m.name).ToList();
        using (no_grad())
            foreach (var path in wrapped)
                ModuleSurgery.Replace(model, path, old =>
                {
                    var layer = (LoraLinear)old;
                    var weight = layer.Base.WeightOutIn();
                    foreach (var name in layer.ActiveAdapters)
                    {
                        var adapter = layer.Adapters[name];
                        var merged = adapter.Variant.Merge(adapter, weight);
                        weight.Dispose();
                        weight = merged;
                    }
                    using (weight) return ModelQuantizer.ToDense((Linear4Bit)layer.Base.Module, weight, dtype);
                });
        var dense = LoraInjector.MergeAndUnload(model);
        ModelQuantizer.Dequantize(model, dtype);
        return [.. wrapped, .. dense];
    }

    /// <summary>
    /// Merges every adapter into its base in place, requantising 4-bit bases; the report gives the largest rounding
    /// error the requantisation made (|W' − (W + Δ)|) against the largest |W + Δ|.
    /// </summary>
    public static FourBitMergeReport MergeIntoFourBit(PretrainedModel model)
    {
        TiedWeightMerge.Untie(model);
        var layers = model.named_modules().Where(m => m.module is LoraLinear).Select(m => (LoraLinear)m.module).ToList();
        double maxError = 0, maxWeight = 0;
        var requantised = 0;
        foreach (var layer in layers)
        {
            layer.Merge();
            if (layer.Base is not FourBitBaseLayer { LastRoundingError: { } e }) continue;
            requantised++;
            maxError = Math.Max(maxError, e.MaxAbsError);
            maxWeight = Math.Max(maxWeight, e.MaxAbsWeight);
        }
        var merged = LoraInjector.MergeAndUnload(model);
        return new FourBitMergeReport(merged, requantised, maxError, maxWeight);
    }
}
