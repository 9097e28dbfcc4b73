namespace LoraDsl.Dsl;

/// <summary>
/// A module whose output is several roles side by side in equal slices (GPT-2's c_attn: Q | K | V).
/// Targeting one role adapts its slice only; targeting all of them adapts the whole module.
/// </summary>
[AttributeUsage(AttributeTargets.Class, AllowMultiple = true, Inherited = false)]
public sealed class LoraFusedModuleAttribute(string name, string pathTemplate, ModuleKind kind, params ModuleRole[] roles) : Attribute
{
    public string Name { get; } = name;
    public string PathTemplate { get; } = pathTemplate;
    public ModuleKind Kind { get; } = kind;
    public ModuleRole[] Roles { get; } = roles;
}
