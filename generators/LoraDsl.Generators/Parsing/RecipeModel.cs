namespace LoraDsl.Generators.Parsing;

/// <summary>A [LoraRecipe] class as values: what its attributes say (the fluent Configure body runs at run time) and the hash of its source.</summary>
public sealed record RecipeModel(
    string? Namespace,
    string ClassName,
    string FullyQualifiedName,
    bool IsPartial,
    bool IsNested,
    SourceLocation? ClassLocation,
    string Name,
    SourceLocation? NameLocation,
    string? ArchitectureType,
    bool ArchitectureIsDeclared,
    SourceLocation? ArchitectureLocation,
    int? KnownDepth,
    string? ModelDirectory,
    string? BuiltInModel,
    EquatableArray<OptionValue> Options,
    EquatableArray<SettingValue> Settings,
    EquatableArray<TargetModel> Targets,
    bool HasConfigure,
    string? SourceSha256 = null)
{
    /// <summary>The adapters the recipe starts from (<c>r.StartFrom</c>), in order.</summary>
    public EquatableArray<StartReference> Starts { get; init; } = EquatableArray<StartReference>.Empty;

    /// <summary>The server <c>r.ServeWith(..)</c> names, or null.</summary>
    public ServeTarget? Serving { get; init; }
}
