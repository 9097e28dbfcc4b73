using System.Globalization;
using LoraDsl.Dsl;
using LoraDsl.Models;
using LoraDsl.Modules;
using TorchSharp.Modules;

namespace LoraDsl.Lora;

/// <summary>
/// PEFT's selection options beside the targets: <c>target_modules</c> as a regular expression, <c>exclude_modules</c>,
/// <c>layers_to_transform</c> + <c>layers_pattern</c>. Applied to the concrete modules the targets place, by
/// <see cref="PeftModuleMatch"/>'s rules, before the injector wraps them.
/// </summary>
public sealed record ModuleSelection
{
    /// <summary>No regex, nothing excluded, every layer.</summary>
    public static ModuleSelection All { get; } = new();

    /// <summary>PEFT's target_modules as a string: every Linear/Conv1D/Embedding whose full path it matches entirely.</summary>
    public string? TargetRegex { get; init; }

    /// <summary>PEFT's exclude_modules: names (full path or ".name" suffix) never adapted.</summary>
    public IReadOnlyList<string> ExcludeModules { get; init; } = [];

    /// <summary>PEFT's layers_to_transform: only modules in these layers are adapted; empty = every layer.</summary>
    public IReadOnlyList<int> LayersToTransform { get; init; } = [];

    /// <summary>PEFT's layers_pattern: the list name before the layer index ("layers", "h"); null = any segment.</summary>
    public string? LayersPattern { get; init; }

    public bool IsAll => TargetRegex is null && ExcludeModules.Count == 0 && LayersToTransform.Count == 0 && LayersPattern is null;

    /// <summary>
    /// The targets PEFT would adapt: <paramref name="targets"/> plus, with a regex, every adaptable module it matches;
    /// then without excluded modules and, with layers_to_transform, only those in the listed layers.
    /// </summary>
    /// <exception cref="TargetResolutionException">The regex matches nothing, or a layer index is beyond the model's depth.</exception>
    public IReadOnlyList<LoraTarget> Apply(PretrainedModel model, IReadOnlyList<LoraTarget> targets)
    {
        if (IsAll) return targets;
        var result = targets.ToList();
        if (TargetRegex is { } regex)
        {
            var pattern = PeftModuleMatch.FullMatch(regex);
            var known = result.Select(t => t.Path).ToHashSet(StringComparer.Ordinal);
            var matched = model.named_modules()
                .Where(m => m.name.Length > 0 && IsAdaptable(m.module) && pattern.IsMatch(m.name))
                .Select(m => m.name)
                .ToList();
            if (matched.Count == 0)
                throw new TargetResolutionException(Format(DslMessages.RegexTargetMatchesNothing, $"model type '{model.Config.ModelType}'", regex));
            result.AddRange(matched.Where(known.Add).Select(path => new LoraTarget(path)));
        }
        var depth = model.Config.NumLayers;
        foreach (var layer in LayersToTransform.Where(l => l < 0 || l >= depth))
            throw new TargetResolutionException(Format(DslMessages.LayerToTransformOutOfRange, layer, depth, model.Config.ModelType, depth - 1));
        return [.. result.Where(t => Selects(t.Path))];
    }

    /// <summary>Whether a placed module at <paramref name="path"/> stays selected (exclude_modules, then layers_to_transform).</summary>
    public bool Selects(string path)
    {
        if (PeftModuleMatch.IsNamedByAny(path, ExcludeModules)) return false;
        if (LayersToTransform.Count == 0) return true;
        return PeftModuleMatch.LayerIndex(path, LayersPattern) is { } layer && LayersToTransform.Contains(layer);
    }

    static bool IsAdaptable(TorchSharp.torch.nn.Module module) =>
        module is Linear or Conv1D or Embedding or Quantization.Linear4Bit or LoraLinear;

    static string Format(string format, params object[] arguments) => string.Format(CultureInfo.InvariantCulture, format, arguments);
}
