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
/// resolver <c>TargetSet.Resolve</c> calls at run time (<see cref="TargetResolver"/>), and runs the setting and combination checks.
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
        var modules = architecture.DeclaredModules();
        var earlier = new List<(ModuleModel Module, IReadOnlyList<string>? Roles, LayerSelection? Layers, bool Unknown)>();
        foreach (var target in targets)
        {
            var resolution = Resolve(architecture, modules, target, depth);
            foreach (var problem in resolution.Problems) diagnostics.Add(Report(problem, target));

            foreach (var selection in resolution.Selections)
            {
                var module = architecture.Modules[selection.Index];
                var (roles, layers, slice) = (selection.Roles, selection.Layers, selection.IsSlice);
                // The run-time placement adapts Linear, Conv1D and Embedding modules; embeddings take plain LoRA only (PEFT's lora.Embedding).
                if (module.Kind == "Embedding")
                    foreach (var message in EmbeddingConflicts(module, slice, methods))
                        diagnostics.Add(new(DiagnosticDescriptors.EmbeddingLoraIsPlain, target.Location, [message]));
                else if (module.Kind is not ("Linear" or "Conv1D"))
                    diagnostics.Add(new(DiagnosticDescriptors.ModuleKindNotAdaptable, target.Location, [module.PathTemplate, DslMessages.KindWithReason(module.Kind)]));
                if (methods.UseDora && slice)
                    diagnostics.Add(new(DiagnosticDescriptors.DoraOnFusedSlice, target.Location,
                        [module.Name, string.Join(", ", roles!.OrderBy(TargetRules.RoleIndex)), string.Join(", ", module.Roles)]));

                var unknown = target.LayersUnknown;
                var overlaps = !unknown && earlier.Any(e =>
                    !e.Unknown && e.Module == module
                    && (e.Roles is null || roles is null || e.Roles.Intersect(roles).Any())
                    && (e.Layers is null || layers is null || e.Layers.Overlaps(layers, depth ?? UnknownDepthProbe)));
                if (overlaps)
                    diagnostics.Add(new(DiagnosticDescriptors.DuplicateTarget, target.Location, [target.Value, module.Name]));
                earlier.Add((module, roles, layers, unknown));
            }
        }
    }

    /// <summary>The modules <paramref name="target"/> selects (roles null = the whole module, else the fused roles covered), ignoring its layers.</summary>
    public static List<(ModuleModel Module, IReadOnlyList<string>? Roles)> Select(ArchitectureModel architecture, TargetModel target) =>
        [.. Resolve(architecture, architecture.DeclaredModules(), target with { Layers = null }, null).Selections
            .Select(s => (architecture.Modules[s.Index], s.Roles))];

    // The one resolver TargetSet.Resolve calls at run time; only the mapping to diagnostics is the generator's own.
    private static TargetResolution Resolve(ArchitectureModel architecture, IReadOnlyList<DeclaredModule> modules, TargetModel target, int? depth)
    {
        var selector = target.Kind switch
        {
            TargetKind.Module => TargetSelector.Module,
            TargetKind.Name => TargetSelector.Name,
            TargetKind.Role => TargetSelector.Role,
            _ => TargetSelector.Preset,
        };
        return TargetResolver.Resolve(architecture.Name, modules, selector, target.Value, target.Layers, depth);
    }

    private static DiagnosticInfo Report(TargetProblem problem, TargetModel target)
    {
        var arguments = problem.Arguments.ToArray();
        switch (problem.Kind)
        {
            case TargetProblemKind.UnknownModule:
                var properties = ImmutableDictionary<string, string?>.Empty;
                if (problem.Suggestion is { } suggestion && target.IsStringLiteral) properties = properties.Add(SuggestionProperty, suggestion);
                return new(DiagnosticDescriptors.UnknownModule, target.Location, arguments) { Properties = properties };
            case TargetProblemKind.MissingRole:
                return new(DiagnosticDescriptors.MissingRole, target.Location, arguments);
            case TargetProblemKind.MalformedLayers:
                return new(DiagnosticDescriptors.MalformedLayers, target.LayersLocation, arguments);
            case TargetProblemKind.LayerOutOfRange:
                return new(DiagnosticDescriptors.LayerOutOfRange, target.LayersLocation, arguments);
            default:
                return new(DiagnosticDescriptors.OptionDoesNotFitModule, target.LayersLocation, [problem.Message]);
        }
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

    private static string Format(string format, params object[] args) => string.Format(CultureInfo.InvariantCulture, format, args);
}
