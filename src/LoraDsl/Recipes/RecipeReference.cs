namespace LoraDsl.Recipes;

/// <summary>
/// Builds another recipe named by type (a recipe's <c>s.Adapter&lt;TRecipe&gt;()</c>), refusing cycles: a recipe that
/// starts, directly or through others, from its own adapter is one clear error, not a stack overflow.
/// </summary>
static class RecipeReference
{
    [ThreadStatic] static List<string>? building;

    public static RecipeDefinition Resolve<TRecipe>(string from) where TRecipe : IRecipe
    {
        var chain = building ??= [];
        if (chain.Count == 0) chain.Add(from);
        if (chain.Contains(TRecipe.RecipeName))
            throw new RecipeValidationException(string.Format(System.Globalization.CultureInfo.InvariantCulture, Dsl.DslMessages.StartCycle,
                chain[0], string.Join(" -> ", [.. chain, TRecipe.RecipeName])));
        chain.Add(TRecipe.RecipeName);
        try
        {
            return TRecipe.Build();
        }
        finally
        {
            chain.RemoveAt(chain.Count - 1);
            if (chain.Count == 1) chain.Clear();
        }
    }
}
