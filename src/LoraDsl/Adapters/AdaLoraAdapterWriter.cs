using LoraDsl.AdaLora;
using LoraDsl.Checkpoints;
using LoraDsl.Lora;
using LoraDsl.Models;
using static TorchSharp.torch;

namespace LoraDsl.Adapters;

/// <summary>
/// Saves an AdaLoRA adapter as PEFT does: <c>base_model.model.&lt;path&gt;.lora_A</c> [k, in], <c>.lora_E</c> [k, 1]
/// and <c>.lora_B</c> [out, k] (no ".weight"; k the kept triplets of the rank pattern, all init_r before any
/// allocation), plus modules_to_save and biases, and an ADALORA <c>adapter_config.json</c> with the pattern.
/// </summary>
public static class AdaLoraAdapterWriter
{
    public static void Save(string directory, PretrainedModel model, LoraInjection injection, AdaLoraOptions options, string? baseModelNameOrPath = null)
    {
        options.Validate();
        var pattern = RankPattern(injection);
        Directory.CreateDirectory(directory);
        using (NewDisposeScope())
        using (no_grad())
        {
            var tensors = new Dictionary<string, Tensor>(StringComparer.Ordinal);
            foreach (var module in injection.Modules)
            {
                var adapter = module.Adapter;
                var kept = pattern?[module.Path];
                using var index = kept is null ? null : KeptIndex(kept, adapter.A.device);
                tensors.Add(AdaLoraAdapterFiles.LoraA(module.Path), Kept(adapter.A, 0, index));
                tensors.Add(AdaLoraAdapterFiles.LoraE(module.Path), Kept(AdaLoraVariant.SingularValues(adapter), 0, index));
                tensors.Add(AdaLoraAdapterFiles.LoraB(module.Path), Kept(adapter.FullB(), 1, index));
            }
            foreach (var (name, p) in AdapterWriter.SavedParameters(model, injection)) tensors.TryAdd(AdapterFiles.Parameter(name), p);
            SafetensorsWriter.Write(Path.Combine(directory, AdapterFiles.WeightsFile), tensors, new Dictionary<string, string> { ["format"] = "pt" });
        }
        var lora = AdapterConfig.For(model, injection, AdapterWriter.TargetModules(model, injection), baseModelNameOrPath ?? AdapterWriter.BaseModelName(model));
        new AdaLoraAdapterConfig(lora, options, pattern).Write(Path.Combine(directory, AdapterFiles.ConfigFile));
    }

    /// <summary>
    /// Every module's kept triplets once any module has a pattern (a module without one keeps all), as PEFT's
    /// config holds one for every module after the first allocation; null when nothing was allocated.
    /// </summary>
    internal static IReadOnlyDictionary<string, bool[]>? RankPattern(LoraInjection injection)
    {
        foreach (var module in injection.Modules)
            if (module.Adapter.Variant is not AdaLoraVariant)
                throw new ArgumentException($"Module '{module.Path}' carries a {module.Adapter.Variant.Name} adapter, not AdaLoRA: save it with {nameof(AdapterWriter)}.");
        var patterns = injection.Modules.ToDictionary(m => m.Path, m => AdaLoraVariant.Instance.KeptRanks(m.Adapter), StringComparer.Ordinal);
        if (patterns.Values.All(p => p is null)) return null;
        return injection.Modules.ToDictionary(m => m.Path, m => patterns[m.Path] ?? Enumerable.Repeat(true, m.Adapter.Rank).ToArray(), StringComparer.Ordinal);
    }

    internal static Tensor KeptIndex(bool[] kept, Device device) =>
        tensor(kept.Select((k, i) => (k, i)).Where(p => p.k).Select(p => (long)p.i).ToArray(), ScalarType.Int64, device);

    static Tensor Kept(Tensor value, long dim, Tensor? index) => index is null ? value : value.index_select(dim, index);
}
