namespace LoraDsl.Generators.Parsing;

public enum TargetKind
{
    /// <summary>A typed handle (Llama.QProj); the value is the module's DSL name.</summary>
    Module,

    /// <summary>A ModuleRole member name.</summary>
    Role,

    /// <summary>A string matched by the PEFT suffix rule.</summary>
    Name,

    /// <summary>A Preset member name.</summary>
    Preset,
}
