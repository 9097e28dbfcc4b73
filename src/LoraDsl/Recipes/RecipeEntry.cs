namespace LoraDsl.Recipes;

/// <summary>A recipe in an assembly's generated registry (<c>LoraDslRecipes.All</c>), for CLIs that run recipes by name.</summary>
public sealed record RecipeEntry(
    string Name,
    string TypeName,
    Func<IEnumerable<KeyValuePair<string, string>>?, RecipeDefinition> Build,
    Func<RecipeRunContext, RecipeReport> Run);
