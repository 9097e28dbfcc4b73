using LoraDsl.Dsl;

namespace LoraDsl.Recipes;

/// <summary>One target of a recipe: a module name (PEFT suffix rule) or a role, optionally limited to <see cref="Layers"/>.</summary>
[AttributeUsage(AttributeTargets.Class, AllowMultiple = true, Inherited = false)]
public sealed class TargetAttribute : Attribute
{
    public TargetAttribute(string module) => Module = module;

    public TargetAttribute(ModuleRole role) => Role = role;

    public string? Module { get; }
    public ModuleRole? Role { get; }

    /// <summary>"3", "0..4" (end exclusive), "8..", "0,2,4"; unset = every layer.</summary>
    public string? Layers { get; set; }
}
