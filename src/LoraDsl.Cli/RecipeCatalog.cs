using LoraDsl.Recipes;

namespace LoraDsl.Cli;

/// <summary>The recipes of the hosting assembly's generated registry, found by name.</summary>
sealed class RecipeCatalog(IReadOnlyDictionary<string, RecipeEntry> recipes)
{
    public IReadOnlyDictionary<string, RecipeEntry> All => recipes;

    public RecipeEntry Find(string name)
    {
        if (recipes.TryGetValue(name, out var entry)) return entry;
        var known = recipes.Count == 0 ? "this program declares no recipes" : $"known recipes: {string.Join(", ", recipes.Keys)}";
        var close = Dsl.DslMessages.Closest(name, [.. recipes.Keys]);
        throw new ArgumentException($"No recipe named '{name}'{(close is null ? "" : $" (did you mean '{close}'?)")}; {known}.");
    }

    public static IReadOnlyList<KeyValuePair<string, string>> Overrides(string[]? assignments) =>
        [.. (assignments ?? []).Select(RecipeDefinition.ParseOverride)];
}
