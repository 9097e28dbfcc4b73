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
            var resolution = Resolve(target, architecture, depth);
            if (resolution.Problems.Count > 0) throw new TargetResolutionException(resolution.Problems[0].Message);
            foreach (var selection in resolution.Selections)
                plan.Add(architecture.Modules[selection.Index], selection.Roles?.Select(Enum.Parse<ModuleRole>).ToList(), selection.Layers);
        }
        return plan;
    }

    // The resolver the generator's diagnostics use too; a typed handle of another architecture is unknown here.
    static TargetResolution Resolve(TargetSpec target, ArchitectureDescriptor architecture, int depth)
    {
        var modules = architecture.DeclaredModules;
        if (target.Module is { } module && !architecture.Modules.Contains(module))
            return new TargetResolution([], [TargetResolver.UnknownModule(architecture.Name, modules, module.Name)]);
        var (selector, value) = target switch
        {
            { Module: { } m } => (TargetSelector.Module, m.Name),
            { Name: { } n } => (TargetSelector.Name, n),
            { Role: { } r } => (TargetSelector.Role, r.ToString()),
            _ => (TargetSelector.Preset, target.Preset!.Value.ToString()),
        };
        return TargetResolver.Resolve(architecture.Name, modules, selector, value, target.Layers, depth);
    }

    public override string ToString() => string.Join(", ", Targets);
}
