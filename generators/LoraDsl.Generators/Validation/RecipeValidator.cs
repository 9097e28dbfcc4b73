using System.Collections.Generic;
using System.Collections.Immutable;
using System.Globalization;
using System.Linq;
using LoraDsl.Dsl;
using LoraDsl.Generators.Diagnostics;
using LoraDsl.Generators.Parsing;

namespace LoraDsl.Generators.Validation;

/// <summary>
/// Checks a recipe's constant options and targets against its architecture (LORA001-009, 013, 014),
/// with the rules <c>RecipeDefinition.Validate</c> and <c>TargetSet.Resolve</c> apply at run time.
/// </summary>
public static class RecipeValidator
{
    public const string SuggestionProperty = "Suggestion";

    // Layer overlap is checked up to this depth when the real one is unknown.
    private const int UnknownDepthProbe = 1024;

    public static IEnumerable<DiagnosticInfo> Validate(
        RecipeModel recipe, ArchitectureModel? architecture, IReadOnlyList<OptionValue> options, IReadOnlyList<TargetModel> targets)
    {
        var diagnostics = new List<DiagnosticInfo>();
        if (!recipe.IsPartial)
            diagnostics.Add(new(DiagnosticDescriptors.RecipeNotPartial, recipe.ClassLocation, [recipe.ClassName]));
        if (!recipe.ArchitectureIsDeclared || architecture is null)
        {
            var typeName = recipe.ArchitectureType?.Replace("global::", "") ?? "?";
            diagnostics.Add(new(DiagnosticDescriptors.NotAnArchitecture, recipe.ArchitectureLocation, [typeName]));
        }

        CheckOptions(options, diagnostics);
        if (architecture is not null)
            CheckTargets(architecture, recipe.KnownDepth ?? architecture.KnownDepth, options.Any(o => o.Option == "UseDora" && o.Value != 0), targets, diagnostics);
        return diagnostics;
    }

    private static void CheckOptions(IReadOnlyList<OptionValue> options, List<DiagnosticInfo> diagnostics)
    {
        foreach (var option in options)
        {
            var text = option.Value.ToString(CultureInfo.InvariantCulture);
            switch (option.Option)
            {
                case "Rank" when option.Value <= 0:
                    diagnostics.Add(new(DiagnosticDescriptors.RankNotPositive, option.Location, [text]));
                    break;
                case "Alpha" when !(option.Value > 0):
                    diagnostics.Add(new(DiagnosticDescriptors.AlphaNotPositive, option.Location, [text]));
                    break;
                case "Dropout" when !(option.Value >= 0 && option.Value < 1):
                    diagnostics.Add(new(DiagnosticDescriptors.DropoutOutOfRange, option.Location, [text]));
                    break;
            }
        }
    }

    private static void CheckTargets(ArchitectureModel architecture, int? depth, bool useDora, IReadOnlyList<TargetModel> targets, List<DiagnosticInfo> diagnostics)
    {
        var earlier = new List<(ModuleModel Module, ImmutableHashSet<string>? Roles, LayerSelection? Layers, bool Unknown)>();
        foreach (var target in targets)
        {
            var selected = Select(architecture, target, diagnostics);
            if (selected.Count == 0) continue;

            LayerSelection? layers = null;
            if (target.Layers is not null)
            {
                layers = LayerSelection.TryParse(target.Layers);
                if (layers is null)
                {
                    diagnostics.Add(new(DiagnosticDescriptors.MalformedLayers, target.LayersLocation, [target.Layers]));
                    continue;
                }
                if (depth is { } d && layers.HighestNamedLayer >= d)
                    diagnostics.Add(new(DiagnosticDescriptors.LayerOutOfRange, target.LayersLocation, [target.Layers, d.ToString(CultureInfo.InvariantCulture), architecture.Name]));
                foreach (var (module, _) in selected.Where(s => !s.Module.IsPerLayer))
                    diagnostics.Add(new(DiagnosticDescriptors.OptionDoesNotFitModule, target.LayersLocation,
                        [Format(DslMessages.LayersOnSharedModule, module.Name, architecture.Name)]));
            }

            foreach (var (module, roles) in selected)
            {
                if (useDora && module.Kind == "Embedding")
                    diagnostics.Add(new(DiagnosticDescriptors.OptionDoesNotFitModule, target.Location, [Format(DslMessages.DoraOnEmbedding, module.Name)]));

                var unknown = target.LayersUnknown;
                var overlaps = !unknown && earlier.Any(e =>
                    !e.Unknown && e.Module == module
                    && (e.Roles is null || roles is null || e.Roles.Overlaps(roles))
                    && (e.Layers is null || layers is null || e.Layers.Overlaps(layers, depth ?? UnknownDepthProbe)));
                if (overlaps)
                    diagnostics.Add(new(DiagnosticDescriptors.DuplicateTarget, target.Location, [target.Value, module.Name]));
                earlier.Add((module, roles, layers, unknown));
            }
        }
    }

    // Roles null = the whole module; a subset = slices of a fused module (mirrors TargetSet.Resolve).
    private static List<(ModuleModel Module, ImmutableHashSet<string>? Roles)> Select(ArchitectureModel architecture, TargetModel target, List<DiagnosticInfo> diagnostics)
    {
        switch (target.Kind)
        {
            case TargetKind.Module:
            case TargetKind.Name:
                var matches = target.Kind == TargetKind.Name
                    ? architecture.ModulesMatching(target.Value).ToList()
                    : architecture.Modules.Where(m => m.Name == target.Value).ToList();
                if (matches.Count == 0)
                {
                    var names = architecture.Modules.Select(m => m.Name).ToList();
                    var suggestion = DslMessages.Closest(target.Value, names);
                    var properties = ImmutableDictionary<string, string?>.Empty;
                    if (suggestion is not null && target.IsStringLiteral) properties = properties.Add(SuggestionProperty, suggestion);
                    diagnostics.Add(new(DiagnosticDescriptors.UnknownModule, target.Location,
                        [architecture.Name, target.Value, DslMessages.UnknownModuleTail(suggestion, names)]) { Properties = properties });
                }
                return [.. matches.Select(m => (m, (ImmutableHashSet<string>?)null))];
            case TargetKind.Role:
                var withRole = architecture.ModulesWithRole(target.Value).ToList();
                if (withRole.Count == 0)
                {
                    var known = architecture.Modules.SelectMany(m => m.Roles).Distinct().OrderBy(RoleOrder);
                    diagnostics.Add(new(DiagnosticDescriptors.MissingRole, target.Location, [architecture.Name, target.Value, string.Join(", ", known)]));
                }
                return [.. withRole.Select(m => (m, (ImmutableHashSet<string>?)ImmutableHashSet.Create(target.Value)))];
            default:
                return Preset(architecture, target.Value);
        }
    }

    private static List<(ModuleModel, ImmutableHashSet<string>?)> Preset(ArchitectureModel architecture, string preset)
    {
        if (LoraDsl.Dsl.TargetRules.PresetRoles(preset) is not { } roles)
        {
            return [.. architecture.Modules
                .Where(m => LoraDsl.Dsl.TargetRules.IsInAllLinear(m.Kind, m.Roles))
                .Select(m => (m, (ImmutableHashSet<string>?)null))];
        }
        return [.. architecture.Modules
            .Select(m => (Module: m, Roles: m.Roles.Intersect(roles).ToImmutableHashSet()))
            .Where(x => x.Roles.Count > 0)
            .Select(x => (x.Module, (ImmutableHashSet<string>?)x.Roles))];
    }

    private static int RoleOrder(string role) => LoraDsl.Dsl.TargetRules.RoleIndex(role);

    private static string Format(string format, params object[] args) => string.Format(CultureInfo.InvariantCulture, format, args);
}
