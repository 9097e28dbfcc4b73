// Linked into generators/LoraDsl.Generators: what one target selects, on both sides.
using System.Collections.Generic;

namespace LoraDsl.Dsl;

/// <summary>
/// One module a target selects: <see cref="Roles"/> null = the whole module, else the roles (of a fused module, in its
/// output order) the adapter covers; <see cref="Layers"/> null = every layer.
/// </summary>
internal sealed class SelectedModule(int index, DeclaredModule module, IReadOnlyList<string>? roles, LayerSelection? layers)
{
    /// <summary>Position of <see cref="Module"/> in the architecture's module list.</summary>
    public int Index { get; } = index;
    public DeclaredModule Module { get; } = module;
    public IReadOnlyList<string>? Roles { get; } = roles;
    public LayerSelection? Layers { get; } = layers;

    /// <summary>True when the roles are a proper part of a fused module (a slice of its output rows).</summary>
    public bool IsSlice => Roles is not null && Module.IsFused && Roles.Count < Module.Roles.Count;
}
