using System.Globalization;

namespace LoraDsl.Dsl;

/// <summary>An immutable list of targets; resolved against an architecture and a depth into a <see cref="TargetPlan"/>.</summary>
public sealed class TargetSet
{
    private TargetSet(IReadOnlyList<TargetSpec> targets) => Targets = targets;

    public static TargetSet Empty { get; } = new([]);

    public IReadOnlyList<TargetSpec> Targets { get; }

    public bool IsEmpty => Targets.Count == 0;

    public static TargetSet Of(params ArchitectureModule[] modules) => new([.. modules.Select(m => TargetSpec.ForModule(m))]);

    public static TargetSet Of(params ModuleRole[] roles) => new([.. roles.Select(r => TargetSpec.ForRole(r))]);

    public static TargetSet Of(params string[] names) => new([.. names.Select(n => TargetSpec.ForName(n))]);

    public static TargetSet Of(Preset preset) => new([TargetSpec.ForPreset(preset)]);

    public TargetSet Add(TargetSpec target) => new([.. Targets, target]);

    public TargetSet Add(TargetSet other) => new([.. Targets, .. other.Targets]);

    /// <summary>Checks every target against <paramref name="architecture"/> and a model of <paramref name="depth"/> layers.</summary>
    /// <exception cref="TargetResolutionException">Unknown module, missing role, bad or out-of-range layers.</exception>
    public TargetPlan Resolve(ArchitectureDescriptor architecture, int depth)
    {
        var plan = new TargetPlan();
        foreach (var target in Targets)
        {
            var layers = ParseLayers(target, architecture, depth);
            foreach (var (module, roles) in Select(target, architecture))
            {
                if (layers is not null && !module.IsPerLayer)
                    throw new TargetResolutionException(Format(DslMessages.LayersOnSharedModule, module.Name, architecture.Name));
                plan.Add(module, roles, layers);
            }
        }
        return plan;
    }

    private static LayerSelection? ParseLayers(TargetSpec target, ArchitectureDescriptor architecture, int depth)
    {
        if (target.Layers is null) return null;
        var layers = LayerSelection.TryParse(target.Layers)
            ?? throw new TargetResolutionException(Format(DslMessages.MalformedLayers, target.Layers));
        if (layers.HighestNamedLayer >= depth)
            throw new TargetResolutionException(Format(DslMessages.LayerOutOfRange, target.Layers, depth, architecture.Name));
        return layers;
    }

    // Roles null = the whole module; a subset selects slices of a fused module.
    private static IEnumerable<(ArchitectureModule Module, IReadOnlyCollection<ModuleRole>? Roles)> Select(TargetSpec target, ArchitectureDescriptor architecture)
    {
        if (target.Module is { } module)
        {
            if (!architecture.Modules.Contains(module))
                throw UnknownModule(architecture, module.Name);
            return [(module, null)];
        }
        if (target.Name is { } name)
        {
            var matches = architecture.ModulesMatching(name).ToList();
            if (matches.Count == 0) throw UnknownModule(architecture, name);
            return matches.Select(m => (m, (IReadOnlyCollection<ModuleRole>?)null));
        }
        if (target.Role is { } role)
        {
            var matches = architecture.ModulesWithRole(role).ToList();
            if (matches.Count == 0)
            {
                var known = architecture.Modules.SelectMany(m => m.Roles).Distinct().OrderBy(r => r);
                throw new TargetResolutionException(Format(DslMessages.MissingRole, architecture.Name, role, string.Join(", ", known)));
            }
            return matches.Select(m => (m, (IReadOnlyCollection<ModuleRole>?)[role]));
        }
        return SelectPreset(target.Preset!.Value, architecture);
    }

    private static IEnumerable<(ArchitectureModule, IReadOnlyCollection<ModuleRole>?)> SelectPreset(Preset preset, ArchitectureDescriptor architecture)
    {
        if (TargetRules.PresetRoles(preset.ToString()) is not { } roleNames)
        {
            return architecture.Modules
                .Where(m => TargetRules.IsInAllLinear(m.Kind.ToString(), m.Roles.Select(r => r.ToString())))
                .Select(m => (m, (IReadOnlyCollection<ModuleRole>?)null));
        }
        var roles = roleNames.Select(Enum.Parse<ModuleRole>).ToList();
        return architecture.Modules
            .Select(m => (Module: m, Roles: m.Roles.Intersect(roles).ToList()))
            .Where(x => x.Roles.Count > 0)
            .Select(x => (x.Module, (IReadOnlyCollection<ModuleRole>?)x.Roles));
    }

    private static TargetResolutionException UnknownModule(ArchitectureDescriptor architecture, string name)
    {
        var names = architecture.Modules.Select(m => m.Name).ToList();
        var tail = DslMessages.UnknownModuleTail(DslMessages.Closest(name, names), names);
        return new TargetResolutionException(Format(DslMessages.UnknownModule, architecture.Name, name, tail));
    }

    private static string Format(string format, params object[] args) => string.Format(CultureInfo.InvariantCulture, format, args);

    public override string ToString() => string.Join(", ", Targets);
}
