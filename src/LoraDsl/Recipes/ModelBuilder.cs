namespace LoraDsl.Recipes;

/// <summary>The <c>r.Model(m => ...)</c> part of a recipe.</summary>
public sealed class ModelBuilder
{
    readonly RecipeBuilder recipe;

    internal ModelBuilder(RecipeBuilder recipe) => this.recipe = recipe;

    /// <summary>A Hugging Face checkpoint folder.</summary>
    public ModelBuilder FromDirectory(string path) => Set(ModelSource.FromDirectory(path));

    /// <summary>A model the runtime knows by name (shipped with the runtime or a package).</summary>
    public ModelBuilder BuiltIn(string name) => Set(ModelSource.BuiltIn(name));

    ModelBuilder Set(ModelSource source)
    {
        recipe.Draft = recipe.Draft with { Model = source };
        return this;
    }
}
