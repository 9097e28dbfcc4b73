namespace LoraDsl.Dsl;

/// <summary>
/// One target of a recipe: exactly one of a typed module, a role, a string name or a preset,
/// optionally limited to some layers.
/// </summary>
public sealed record TargetSpec
{
    private TargetSpec() { }

    public ArchitectureModule? Module { get; private init; }
    public ModuleRole? Role { get; private init; }
    public string? Name { get; private init; }
    public Preset? Preset { get; private init; }

    /// <summary>Layer selection text ("0..4"); null = every layer.</summary>
    public string? Layers { get; private init; }

    public static TargetSpec ForModule(ArchitectureModule module, string? layers = null) => new() { Module = module, Layers = layers };

    public static TargetSpec ForRole(ModuleRole role, string? layers = null) => new() { Role = role, Layers = layers };

    public static TargetSpec ForName(string name, string? layers = null) => new() { Name = name, Layers = layers };

    public static TargetSpec ForPreset(Preset preset, string? layers = null) => new() { Preset = preset, Layers = layers };

    public override string ToString()
    {
        var what = Module?.Name ?? Name ?? (Role is { } r ? $"role {r}" : $"preset {Preset}");
        return Layers is null ? what : $"{what} (layers {Layers})";
    }
}
