using System.Collections.Generic;
using System.Globalization;
using System.Linq;
using LoraDsl.Dsl;
using LoraDsl.Generators.Parsing;

namespace LoraDsl.Generators.Validation;

/// <summary>
/// What the start checks (<see cref="StartValidator"/>) need of one recipe: its model, its architecture and all its
/// targets, with the LoRA settings it ends up with and the modules it places adapters on.
/// </summary>
public sealed class RecipeFacts(RecipeModel recipe, ArchitectureModel? architecture, IReadOnlyList<TargetModel> targets)
{
    // LoraOptions' defaults, for what a recipe leaves unset.
    private const double DefaultRank = 16, DefaultAlpha = 32;

    /// <summary>Per-layer modules are compared over this many layers when no depth is known.</summary>
    public const int UnknownDepthProbe = 64;

    public RecipeModel Recipe { get; } = recipe;

    public ArchitectureModel? Architecture { get; } = architecture;

    public string Name => Recipe.Name;

    /// <summary>lora.r as the recipe ends up with it; null when it is not a constant.</summary>
    public int? Rank => Number("lora.r", DefaultRank) is { } rank ? (int)rank : null;

    public double? Alpha => Number("lora.alpha", DefaultAlpha);

    public bool? RsLora => Flag("lora.use_rslora");

    public bool? Dora => Flag("lora.use_dora");

    /// <summary>The depth the recipe or its architecture declares.</summary>
    public int? Depth => Recipe.KnownDepth ?? Architecture?.KnownDepth;

    public SettingValue? Setting(string key) => SettingValues.Last(Recipe.Settings, key);

    /// <summary>A numeric setting's value, <paramref name="unset"/> when the recipe leaves it, null when it is not a constant.</summary>
    public double? Number(string key, double unset) => Setting(key) is { } value ? value.Number : unset;

    /// <summary>A boolean setting's value (false when unset), null when it is not a constant.</summary>
    public bool? Flag(string key) => Setting(key) is { } value
        ? value.Text is { } text && bool.TryParse(text, out var on) ? on : null
        : false;

    /// <summary>
    /// The places the recipe's adapters sit, as "module path (role)" texts over <paramref name="depth"/> layers: a
    /// fused module counts once per role it adapts. Null when a target's layers are not constants or no architecture is known.
    /// </summary>
    public IReadOnlyCollection<string>? Placement(int depth)
    {
        if (Architecture is null) return null;
        var places = new SortedSet<string>(System.StringComparer.Ordinal);
        foreach (var target in targets)
        {
            if (target.LayersUnknown) return null;
            var layers = target.Layers is null ? null : LayerSelection.TryParse(target.Layers);
            if (target.Layers is not null && layers is null) return null;
            foreach (var (module, roles) in RecipeValidator.Select(Architecture, target))
            {
                var parts = module.IsFused ? (IEnumerable<string>)(roles ?? (IEnumerable<string>)module.Roles) : [""];
                var paths = module.IsPerLayer
                    ? Enumerable.Range(0, depth).Where(l => layers is null || layers.Contains(l))
                        .Select(l => module.PathTemplate.Replace(ModuleModel.LayerPlaceholder, l.ToString(CultureInfo.InvariantCulture)))
                    : [module.PathTemplate];
                foreach (var path in paths)
                    foreach (var part in parts)
                        places.Add(part.Length == 0 ? path : path + " (" + part + ")");
            }
        }
        return places;
    }
}
