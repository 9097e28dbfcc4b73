namespace LoraDsl.Generators.Parsing;

/// <summary>
/// A [LoraRecipe] class as values. <see cref="Options"/> and <see cref="Targets"/> are what its attributes say;
/// <see cref="Settings"/> is every setting it states, from the attributes and then its Configure body, in order.
/// </summary>
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
    EquatableArray<TargetModel> Targets,
    bool HasConfigure,
    EquatableArray<SettingValue> Settings);
