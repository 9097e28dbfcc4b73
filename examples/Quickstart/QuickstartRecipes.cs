using LoraDsl.Recipes;

namespace Quickstart;

/// <summary>This program's recipes (the generated registry is internal), for tests that drive its CLI.</summary>
public static class QuickstartRecipes
{
    public static IReadOnlyDictionary<string, RecipeEntry> All => LoraDslRecipes.All;
}
