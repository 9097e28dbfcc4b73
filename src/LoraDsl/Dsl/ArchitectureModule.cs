namespace LoraDsl.Dsl;

/// <summary>
/// One declared module of an architecture (<c>Llama.QProj</c>): what a typed target points at.
/// Generated code builds these; the path template keeps <c>{layer}</c> for per-layer modules.
/// </summary>
public sealed class ArchitectureModule(string architecture, string name, string pathTemplate, ModuleKind kind, IReadOnlyList<ModuleRole> roles)
{
    public const string LayerPlaceholder = "{layer}";

    public string Architecture { get; } = architecture;

    /// <summary>The DSL name, unique in its architecture ("q_proj", "attention.output.dense").</summary>
    public string Name { get; } = name;
    public string PathTemplate { get; } = pathTemplate;
    public ModuleKind Kind { get; } = kind;

    /// <summary>One role, or several for a fused module (in output-slice order).</summary>
    public IReadOnlyList<ModuleRole> Roles { get; } = roles;

    public bool IsFused => Roles.Count > 1;

    public bool IsPerLayer => PathTemplate.Contains(LayerPlaceholder, StringComparison.Ordinal);

    public override string ToString() => $"{Architecture}.{Name}";
}
