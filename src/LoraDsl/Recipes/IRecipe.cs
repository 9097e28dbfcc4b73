namespace LoraDsl.Recipes;

/// <summary>The shape the generator gives every <c>[LoraRecipe]</c> class.</summary>
public interface IRecipe
{
    static abstract string RecipeName { get; }

    /// <summary>The recipe's definition with <paramref name="overrides"/> applied.</summary>
    static abstract RecipeDefinition Build(IEnumerable<KeyValuePair<string, string>>? overrides = null);

    /// <summary>Loads the checkpoint, places adapters, prepares data and trains.</summary>
    static abstract RecipeReport Run(RecipeRunContext context);
}
