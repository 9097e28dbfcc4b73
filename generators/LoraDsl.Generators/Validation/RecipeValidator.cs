using System.Collections.Generic;
using System.Collections.Immutable;
using System.Globalization;
using System.Linq;
using LoraDsl.Dsl;
using LoraDsl.Generators.Diagnostics;
using LoraDsl.Generators.Parsing;

namespace LoraDsl.Generators.Validation;

/// <summary>
/// Checks a recipe's class and targets against its architecture (LORA001, 002, 006-009, 013, 014, 021, 022, 029), with the
/// rules <c>TargetSet.Resolve</c> and the placer apply at run time, and runs the setting and combination checks.
/// </summary>
public static class RecipeValidator
{
    public const string SuggestionProperty = "Suggestion";

    // Layer overlap is checked up to this depth when the real one is unknown.
    private const int UnknownDepthProbe = 1024;

    /// <summary>Everything checkable in one recipe: the class, its settings (<see cref="SettingValidator"/>), its targets
    /// (attribute ones in <see cref="RecipeModel.Targets"/>, fluent ones in <paramref name="fluentTargets"/>) and
    /// the combinations (<see cref="CombinationValidator"/>).</summary>
    public static IEnumerable<DiagnosticInfo> Validate(RecipeModel recipe, ArchitectureModel? architecture, IReadOnlyList<TargetModel> fluentTargets)
    {
        var diagnostics = new List<DiagnosticInfo>();
        if (!recipe.IsPartial)
            diagnostics.Add(new(DiagnosticDescriptors.RecipeNotPartial, recipe.ClassLocation, [recipe.ClassName]));
        if (!recipe.ArchitectureIsDeclared || architecture is null)
        {
            var typeName = recipe.ArchitectureType?.Replace("global::", "") ?? "?";
            diagnostics.Add(new(DiagnosticDescriptors.NotAnArchitecture, recipe.ArchitectureLocation, [typeName]));
        }

        diagnostics.AddRange(SettingValidator.Validate(recipe.Name, recipe.Settings.AsArray()));
        if (architecture is not null)
        {
            var methods = LoraMethods.Of(recipe.Settings.AsArray());
            CheckTargets(architecture, recipe.KnownDepth ?? architecture.KnownDepth, methods, [.. recipe.Targets, .. fluentTargets], diagnostics);
            diagnostics.AddRange(CombinationValidator.Validate(recipe, architecture));
        }
        return diagnostics;
    }

    private static void CheckTargets(ArchitectureModel architecture, int? depth, LoraMethods methods, IReadOnlyList<TargetModel> targets, List<DiagnosticInfo> diagnostics)
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
                var slice = roles is not null && module.IsFused && roles.Count < module.Roles.Count;
                // The run-time placer adapts Linear, Conv1D and Embedding modules; embeddings take plain LoRA only (PEFT's lora.Embedding).
                if (module.Kind == "Embedding")
                    foreach (var message in EmbeddingConflicts(module, slice, methods))
                        diagnostics.Add(new(DiagnosticDescriptors.EmbeddingLoraIsPlain, target.Location, [message]));
                else if (module.Kind is not ("Linear" or "Conv1D"))
                    diagnostics.Add(new(DiagnosticDescriptors.ModuleKindNotAdaptable, target.Location, [module.PathTemplate, DslMessages.KindWithReason(module.Kind)]));
                if (methods.UseDora && slice)
                    diagnostics.Add(new(DiagnosticDescriptors.DoraOnFusedSlice, target.Location,
                        [module.Name, string.Join(", ", roles.OrderBy(RoleOrder)), string.Join(", ", module.Roles)]));

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
    internal static List<(ModuleModel Module, ImmutableHashSet<string>? Roles)> Select(ArchitectureModel architecture, TargetModel target, List<DiagnosticInfo> diagnostics)
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

    // What the recipe ends up with (last statements) of the methods an embedding cannot take.
    private sealed record LoraMethods(bool UseDora, string? ResidualInit, bool UseAdaLora)
    {
        public static LoraMethods Of(IReadOnlyList<SettingValue> settings) => new(
            SettingValues.IsOn(settings, "lora.use_dora"),
            SettingValues.Last(settings, "lora.init")?.Text is { } init and ("pissa" or "olora") ? init : null,
            SettingValues.IsOn(settings, "lora.use_adalora"));
    }

    // Mirrors EmbeddingLora.Check and RecipeDefinition.Validate: the same texts at run time.
    private static IEnumerable<string> EmbeddingConflicts(ModuleModel module, bool slice, LoraMethods methods)
    {
        if (methods.UseDora) yield return Format(DslMessages.DoraOnEmbedding, module.PathTemplate);
        if (methods.ResidualInit is { } init) yield return Format(DslMessages.ResidualInitOnEmbedding, module.PathTemplate, init);
        if (methods.UseAdaLora) yield return Format(DslMessages.AdaLoraOnEmbedding, module.PathTemplate);
        if (slice) yield return Format(DslMessages.SliceOfEmbedding, module.PathTemplate);
    }

    private static int RoleOrder(string role) => LoraDsl.Dsl.TargetRules.RoleIndex(role);

    private static string Format(string format, params object[] args) => string.Format(CultureInfo.InvariantCulture, format, args);
}
