namespace LoraDsl.Recipes;

/// <summary>What a run needs besides the recipe: the engine and the <c>--set</c> overrides.</summary>
public sealed record RecipeRunContext(IRecipeEngine Engine)
{
    public IReadOnlyList<KeyValuePair<string, string>> Overrides { get; init; } = [];
}
