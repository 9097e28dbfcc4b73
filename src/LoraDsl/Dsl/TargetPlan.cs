namespace LoraDsl.Dsl;

/// <summary>Resolved targets: for each module, which roles are wanted in which layers. <see cref="Lora.TargetPlacement"/> expands it over a model.</summary>
public sealed class TargetPlan
{
    private readonly Dictionary<ArchitectureModule, List<(IReadOnlyCollection<ModuleRole>? Roles, LayerSelection? Layers)>> selections = [];

    internal void Add(ArchitectureModule module, IReadOnlyCollection<ModuleRole>? roles, LayerSelection? layers)
    {
        if (!selections.TryGetValue(module, out var list)) selections[module] = list = [];
        list.Add((roles, layers));
    }

    /// <summary>Modules selected in at least one layer.</summary>
    public IReadOnlyCollection<ArchitectureModule> Modules => selections.Keys;

    /// <summary>
    /// Whether <paramref name="module"/> is selected in <paramref name="layer"/> (null for modules outside the layer
    /// stack); <paramref name="roles"/> is null for the whole module, else the fused module's roles wanted, in its output order.
    /// </summary>
    public bool Selects(ArchitectureModule module, int? layer, out IReadOnlyList<ModuleRole>? roles)
    {
        roles = null;
        if (!selections.TryGetValue(module, out var list)) return false;
        var entries = list.Where(e => e.Layers is null || (layer is { } l && e.Layers.Contains(l))).ToList();
        if (entries.Count == 0) return false;
        roles = Wanted(module, entries.Select(e => e.Roles));
        return true;
    }

    /// <summary>The roles of <paramref name="module"/> wanted in any layer; null for the whole module (or when it is not selected).</summary>
    public IReadOnlyList<ModuleRole>? RolesOf(ArchitectureModule module) =>
        selections.TryGetValue(module, out var list) ? Wanted(module, list.Select(e => e.Roles)) : null;

    // Any whole-module entry, or every role of a fused module wanted, adapts the whole module.
    static IReadOnlyList<ModuleRole>? Wanted(ArchitectureModule module, IEnumerable<IReadOnlyCollection<ModuleRole>?> entries)
    {
        var wanted = new HashSet<ModuleRole>();
        foreach (var roles in entries)
        {
            if (roles is null) return null;
            wanted.UnionWith(roles);
        }
        return !module.IsFused || module.Roles.All(wanted.Contains) ? null : [.. module.Roles.Where(wanted.Contains)];
    }
}
