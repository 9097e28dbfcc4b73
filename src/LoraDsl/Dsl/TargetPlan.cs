namespace LoraDsl.Dsl;

/// <summary>Resolved targets: for each module, which roles are wanted in which layers. Generated <c>ApplyLora</c> queries it.</summary>
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
    /// Whether <paramref name="module"/> is selected in <paramref name="layer"/> (null for modules outside
    /// the layer stack); <paramref name="part"/> is null for the whole module, else the fused slices wanted.
    /// </summary>
    public bool Selects(ArchitectureModule module, int? layer, out FusedPart? part)
    {
        part = null;
        if (!selections.TryGetValue(module, out var list)) return false;
        var wanted = new HashSet<ModuleRole>();
        var whole = false;
        var any = false;
        foreach (var (roles, layers) in list)
        {
            if (layers is not null && (layer is null || !layers.Contains(layer.Value))) continue;
            any = true;
            if (roles is null) whole = true;
            else wanted.UnionWith(roles);
        }
        if (!any) return false;
        if (!whole && module.IsFused && !module.Roles.All(wanted.Contains))
            part = new FusedPart(module.Roles.Count, [.. Enumerable.Range(0, module.Roles.Count).Where(i => wanted.Contains(module.Roles[i]))]);
        return true;
    }
}
