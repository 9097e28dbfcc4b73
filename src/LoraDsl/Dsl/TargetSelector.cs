// Linked into generators/LoraDsl.Generators: how a target names what it selects, on both sides.
namespace LoraDsl.Dsl;

/// <summary>What a target's value is: a module's DSL name, a string matched by PEFT's rule, a role name or a preset name.</summary>
internal enum TargetSelector
{
    /// <summary>A typed handle (<c>Llama.QProj</c>): the module's DSL name, matched exactly.</summary>
    Module,

    /// <summary>A string: the module with that DSL name, else every module whose path ends with it (PEFT's rule).</summary>
    Name,

    /// <summary>A <see cref="ModuleRole"/> member name.</summary>
    Role,

    /// <summary>A <see cref="Preset"/> member name.</summary>
    Preset,
}
