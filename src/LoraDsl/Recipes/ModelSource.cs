namespace LoraDsl.Recipes;

/// <summary>Where a recipe's base checkpoint comes from.</summary>
public sealed record ModelSource(ModelSourceKind Kind, string Location)
{
    public static ModelSource FromDirectory(string path) => new(ModelSourceKind.Directory, path);

    public static ModelSource BuiltIn(string name) => new(ModelSourceKind.BuiltIn, name);

    public override string ToString() => Kind == ModelSourceKind.Directory ? Location : $"built-in:{Location}";
}
