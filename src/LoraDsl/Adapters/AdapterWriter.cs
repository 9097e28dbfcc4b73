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
                tensors.Add(AdapterFiles.LoraA(module.Path), adapter.A);
                tensors.Add(AdapterFiles.LoraB(module.Path), adapter.FullB());
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
    /// PEFT's list of module-name suffixes when those suffixes select exactly the adapted modules;
    /// otherwise the full paths (a list entry also matches a whole path), so PEFT adapts the same set.
    /// </summary>
    internal static IReadOnlyList<string> TargetModules(PretrainedModel model, LoraInjection injection)
    {
        var adapted = injection.Modules.Select(m => m.Path).ToHashSet(StringComparer.Ordinal);
        var suffixes = adapted.Select(Suffix).ToHashSet(StringComparer.Ordinal);
        var selected = model.named_modules()
            .Where(m => m.module is Linear or Conv1D or LoraLinear && suffixes.Contains(Suffix(m.name)))
            .Select(m => m.name)
            .ToHashSet(StringComparer.Ordinal);
        var list = selected.SetEquals(adapted) ? suffixes : adapted;
        return [.. list.Order(StringComparer.Ordinal)];
    }

    static string Suffix(string path) => path[(path.LastIndexOf('.') + 1)..];

    /// <summary>config.json's "_name_or_path", else the folder it was loaded from.</summary>
    internal static string? BaseModelName(PretrainedModel model)
    {
        if (model.Config.Raw["_name_or_path"] is { } node && node.GetValueKind() == JsonValueKind.String) return node.GetValue<string>();
        return model.Config.SourcePath is { } source ? Path.GetDirectoryName(Path.GetFullPath(source)) : null;
    }
}
