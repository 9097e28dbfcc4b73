// Linked into generators/LoraDsl.Generators: the one target resolution the analyzer (LORA001/002/006/007/013) and
// TargetSet.Resolve share, like PEFT's single check_target_module_exists (netstandard2.0-safe).
using System.Collections.Generic;
using System.Globalization;
using System.Linq;

namespace LoraDsl.Dsl;

/// <summary>
/// Resolves one target (module / name / role / preset, optional layer text) against an architecture's modules as
/// plain data: the modules it selects with their role subset and layers, and what does not fit.
/// </summary>
internal static class TargetResolver
{
    /// <param name="architecture">The architecture's name, for messages.</param>
    /// <param name="modules">Its modules in declaration order.</param>
    /// <param name="depth">The number of layers when known (the loaded config, or a declared depth); null skips the range check.</param>
    public static TargetResolution Resolve(string architecture, IReadOnlyList<DeclaredModule> modules,
        TargetSelector selector, string value, string? layersText, int? depth)
    {
        var problems = new List<TargetProblem>();
        var selected = Select(architecture, modules, selector, value, problems);
        if (selected.Count == 0 || layersText is null)
            return new TargetResolution([.. selected.Select(s => new SelectedModule(s.Index, modules[s.Index], s.Roles, null))], problems);

        var layers = LayerSelection.TryParse(layersText);
        if (layers is null)
            return new TargetResolution([], [new TargetProblem(TargetProblemKind.MalformedLayers, DslMessages.MalformedLayers, [layersText])]);
        if (depth is { } d && layers.HighestNamedLayer >= d)
            problems.Add(new TargetProblem(TargetProblemKind.LayerOutOfRange, DslMessages.LayerOutOfRange,
                [layersText, d.ToString(CultureInfo.InvariantCulture), architecture]));
        foreach (var (index, _) in selected.Where(s => !modules[s.Index].IsPerLayer))
            problems.Add(new TargetProblem(TargetProblemKind.LayersOnSharedModule, DslMessages.LayersOnSharedModule, [modules[index].Name, architecture]));
        return new TargetResolution([.. selected.Select(s => new SelectedModule(s.Index, modules[s.Index], s.Roles, layers))], problems);
    }

    /// <summary>The LORA001 problem for <paramref name="name"/>: the closest module name, else the list of them.</summary>
    public static TargetProblem UnknownModule(string architecture, IReadOnlyList<DeclaredModule> modules, string name)
    {
        var names = modules.Select(m => m.Name).ToList();
        var suggestion = DslMessages.Closest(name, names);
        return new TargetProblem(TargetProblemKind.UnknownModule, DslMessages.UnknownModule,
            [architecture, name, DslMessages.UnknownModuleTail(suggestion, names)], suggestion);
    }

    // Roles null = the whole module; a subset = the roles of a fused module the adapter covers.
    static List<(int Index, IReadOnlyList<string>? Roles)> Select(string architecture, IReadOnlyList<DeclaredModule> modules,
        TargetSelector selector, string value, List<TargetProblem> problems)
    {
        var indices = Enumerable.Range(0, modules.Count);
        switch (selector)
        {
            case TargetSelector.Module:
            case TargetSelector.Name:
                var matches = indices.Where(i => modules[i].Name == value).ToList();
                // A string names a module by its DSL name first, else by PEFT's suffix rule on the path.
                if (matches.Count == 0 && selector == TargetSelector.Name) matches = [.. indices.Where(i => modules[i].MatchesPath(value))];
                if (matches.Count == 0) problems.Add(UnknownModule(architecture, modules, value));
                return [.. matches.Select(i => (i, (IReadOnlyList<string>?)null))];
            case TargetSelector.Role:
                var withRole = indices.Where(i => modules[i].Roles.Contains(value)).ToList();
                if (withRole.Count == 0)
                {
                    var known = modules.SelectMany(m => m.Roles).Distinct().OrderBy(TargetRules.RoleIndex);
                    problems.Add(new TargetProblem(TargetProblemKind.MissingRole, DslMessages.MissingRole, [architecture, value, string.Join(", ", known)]));
                }
                return [.. withRole.Select(i => (i, (IReadOnlyList<string>?)new[] { value }))];
            default:
                return SelectPreset(modules, value);
        }
    }

    static List<(int Index, IReadOnlyList<string>? Roles)> SelectPreset(IReadOnlyList<DeclaredModule> modules, string preset)
    {
        var indices = Enumerable.Range(0, modules.Count);
        if (TargetRules.PresetRoles(preset) is not { } roles)
            return [.. indices.Where(i => TargetRules.IsInAllLinear(modules[i].Kind, modules[i].Roles)).Select(i => (i, (IReadOnlyList<string>?)null))];
        return [.. indices
            .Select(i => (Index: i, Roles: (IReadOnlyList<string>)modules[i].Roles.Where(roles.Contains).ToList()))
            .Where(x => x.Roles.Count > 0)
            .Select(x => (x.Index, (IReadOnlyList<string>?)x.Roles))];
    }
}
