namespace LoraDsl.Recipes;

/// <summary>
/// Checks that an override keeps the shape the generator compiled the recipe's loop for: a recipe whose constants say
/// "no gradient accumulation" gets a loop without the accumulation branch, so <c>--set training.grad_accum=4</c> must
/// be refused, not ignored.
/// </summary>
internal static class CompiledShape
{
    /// <summary>Throws when <paramref name="holds"/> is false, naming the setting and what the recipe was compiled with.</summary>
    public static void Require(RecipeDefinition recipe, string key, bool holds, string compiledWith)
    {
        if (!holds)
            throw new RecipeValidationException(
                $"Recipe '{recipe.Name}' was compiled with {compiledWith}, so its generated loop has no code for the '{key}' override; " +
                "set the value in the recipe itself (the generator then emits the code for it).");
    }
}
