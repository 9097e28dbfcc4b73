using System.Text.Json;
using LoraDsl.Checkpoints;
using LoraDsl.Lora;
using LoraDsl.Models;
using LoraDsl.Modules;
using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace LoraDsl.Adapters;

/// <summary>
/// Saves an adapter as Python PEFT does: <c>adapter_config.json</c> plus <c>adapter_model.safetensors</c>
/// with <c>base_model.model.&lt;path&gt;.lora_A.weight</c> [r, in] and <c>.lora_B.weight</c> [out, r].
/// </summary>
public static class AdapterWriter
{
    /// <summary>
    /// Writes both files into <paramref name="directory"/>, each atomically. Sliced adapters are written
    /// with a full-size B (zeros outside the slice, which is exact) and their slices in the metadata.
    /// </summary>
    public static void Save(string directory, PretrainedModel model, LoraInjection injection, string? baseModelNameOrPath = null)
    {
        Directory.CreateDirectory(directory);
        using (NewDisposeScope())
        using (no_grad())
        {
            var tensors = new Dictionary<string, Tensor>(StringComparer.Ordinal);
            var slices = new SortedDictionary<string, long[][]>(StringComparer.Ordinal);
            foreach (var module in injection.Modules)
            {
                var adapter = module.Adapter;
                var (a, b) = SavedFactors(adapter);
                tensors.Add(AdapterFiles.LoraA(module.Path, module.Layer.Base.TakesTokenIds), a);
                tensors.Add(AdapterFiles.LoraB(module.Path, module.Layer.Base.TakesTokenIds), b);
                foreach (var (name, p) in adapter.ExtraParameters) tensors.Add(AdapterFiles.Extra(module.Path, name), p);
                if (adapter.OutputRows is { } rows) slices.Add(module.Path, rows.ToPairs());
            }
            foreach (var (name, p) in SavedParameters(model, injection)) tensors.TryAdd(AdapterFiles.Parameter(name), p);

            var metadata = new Dictionary<string, string> { ["format"] = "pt" };
            if (slices.Count > 0) metadata[AdapterFiles.OutputSlicesMetadataKey] = JsonSerializer.Serialize(slices);
            SafetensorsWriter.Write(Path.Combine(directory, AdapterFiles.WeightsFile), tensors, metadata);
        }
        var config = AdapterConfig.For(model, injection, TargetModules(model, injection), baseModelNameOrPath ?? BaseModelName(model));
        config.Write(Path.Combine(directory, AdapterFiles.ConfigFile));
    }

    /// <summary>
    /// A and B as saved. After PiSSA/OLoRA the base lost s·B₀A₀, so the file holds the update against the original
    /// base, s·(BA − B₀A₀) = s'·[B, −B₀]·[A; A₀] at rank 2r (PEFT's path_initial_model_for_weight_conversion):
    /// a plain LoRA adapter for anyone who loads it onto the original model.
    /// </summary>
    internal static (Tensor A, Tensor B) SavedFactors(LoraAdapter adapter)
    {
        if (adapter.InitialA is not { } initialA) return (adapter.A, adapter.FullB());
        using var initialB = adapter.InitialFullB()!;
        using var fullB = adapter.FullB();
        using var negated = initialB.neg();
        return (cat([adapter.A.detach(), initialA], 0), cat([fullB, negated], 1));
    }

    /// <summary>Model parameters PEFT saves beside the LoRA weights: modules_to_save and the chosen biases.</summary>
    internal static IEnumerable<(string Name, Parameter Parameter)> SavedParameters(PretrainedModel model, LoraInjection injection)
    {
        foreach (var path in injection.ModulesToSave)
            foreach (var (name, p) in ModuleSurgery.Find(model, path).named_parameters())
                yield return ($"{path}.{name}", p);
        if (injection.Options.Bias == LoraBias.All)
        {
            foreach (var (name, p) in model.named_parameters())
                if (name == "bias" || name.EndsWith(".bias", StringComparison.Ordinal)) yield return (name, p);
        }
        else if (injection.Options.Bias == LoraBias.LoraOnly)
        {
            // PEFT's key for a wrapped module's bias goes through base_layer, as ours does.
            foreach (var module in injection.Modules)
                if (module.Layer.Base.Bias is { } bias) yield return ($"{module.Path}.base_layer.bias", bias);
        }
    }

    /// <summary>
    /// PEFT's target_modules for the adapted set, in the shortest form that selects exactly it among the model's
    /// Linear/Conv1D modules: the suffixes alone; the suffixes plus layers_to_transform/layers_pattern; the
    /// suffixes plus exclude_modules (full paths); else the full paths (a list entry also matches a whole path).
    /// </summary>
    internal static TargetModuleSelection TargetModules(PretrainedModel model, LoraInjection injection)
    {
        var adapted = injection.Modules.Select(m => m.Path).ToHashSet(StringComparer.Ordinal);
        var suffixes = adapted.Select(Suffix).Distinct().Order(StringComparer.Ordinal).ToList();
        var suffixSet = suffixes.ToHashSet(StringComparer.Ordinal);
        var selected = model.named_modules()
            .Where(m => m.module is Linear or Conv1D or Embedding or LoraLinear && suffixSet.Contains(Suffix(m.name)))
            .Select(m => m.name)
            .ToHashSet(StringComparer.Ordinal);
        if (Asked(injection.Options.Selection, suffixes) is { } asked
            && model.named_modules().Where(m => m.module is Linear or Conv1D or Embedding or LoraLinear && m.name.Length > 0)
                .Select(m => m.name).Where(asked.Selects).ToHashSet(StringComparer.Ordinal).SetEquals(adapted))
            return asked;
        if (selected.SetEquals(adapted)) return new TargetModuleSelection(suffixes);
        // One module reads best as its own path.
        if (adapted.Count == 1) return new TargetModuleSelection([.. adapted]);

        if (Dsl.PeftModuleMatch.LayerOf(adapted.First()) is { Pattern: var pattern }
            && adapted.Select(Dsl.PeftModuleMatch.LayerOf).ToList() is var layers && layers.All(l => l?.Pattern == pattern))
        {
            var indices = layers.Select(l => l!.Value.Index).Distinct().Order().ToList();
            var inLayers = selected.Where(p => Dsl.PeftModuleMatch.LayerOf(p) is { } l && l.Pattern == pattern && indices.Contains(l.Index));
            if (inLayers.ToHashSet(StringComparer.Ordinal).SetEquals(adapted))
                return new TargetModuleSelection(suffixes) { LayersToTransform = indices, LayersPattern = pattern };
        }

        var excess = selected.Except(adapted).Order(StringComparer.Ordinal).ToList();
        if (excess.Count < adapted.Count) return new TargetModuleSelection(suffixes) { ExcludeModules = excess };
        return new TargetModuleSelection([.. adapted.Order(StringComparer.Ordinal)]);
    }

    // What the recipe asked for in PEFT's names (a regex, exclude_modules, layers_to_transform/layers_pattern); null when it asked none.
    static TargetModuleSelection? Asked(ModuleSelection selection, IReadOnlyList<string> suffixes)
    {
        if (selection.IsAll) return null;
        return new TargetModuleSelection(selection.TargetRegex is null ? suffixes : [])
        {
            Pattern = selection.TargetRegex,
            ExcludeModules = selection.ExcludeModules.Count == 0 ? null : selection.ExcludeModules,
            LayersToTransform = selection.LayersToTransform.Count == 0 ? null : selection.LayersToTransform,
            LayersPattern = selection.LayersPattern,
        };
    }

    static string Suffix(string path) => path[(path.LastIndexOf('.') + 1)..];

    /// <summary>config.json's "_name_or_path", else the folder it was loaded from.</summary>
    internal static string? BaseModelName(PretrainedModel model)
    {
        if (model.Config.Raw["_name_or_path"] is { } node && node.GetValueKind() == JsonValueKind.String) return node.GetValue<string>();
        return model.Config.SourcePath is { } source ? Path.GetDirectoryName(Path.GetFullPath(source)) : null;
    }
}
