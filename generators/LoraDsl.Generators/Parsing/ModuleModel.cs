namespace LoraDsl.Generators.Parsing;

/// <summary>One [LoraModule]/[LoraFusedModule] of an architecture. Kind and roles are the runtime enums' member names.</summary>
public sealed record ModuleModel(
    string Name,
    string PathTemplate,
    string Kind,
    EquatableArray<string> Roles,
    SourceLocation? NameLocation,
    SourceLocation? PathLocation)
{
    public const string LayerPlaceholder = "{layer}";

    public bool IsPerLayer => PathTemplate.Contains(LayerPlaceholder);

    public bool IsFused => Roles.Count > 1;

    /// <summary>The C# name of the generated handle: "q_proj" → QProj, "attention.output.dense" → AttentionOutputDense.</summary>
    public string HandleName => Identifiers.ToPascalCase(Name);
}
