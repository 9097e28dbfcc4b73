namespace LoraDsl.Recipes;

/// <summary>The <c>r.Model(m => ...)</c> part of a recipe.</summary>
public sealed class ModelBuilder
{
    internal ModelSource? Source { get; private set; }

    internal ModelBuilder(ModelSource? source) => Source = source;

    /// <summary>A Hugging Face checkpoint folder.</summary>
    public ModelBuilder FromDirectory(string path)
    {
        Source = ModelSource.FromDirectory(path);
        return this;
    }

    /// <summary>A model the engine knows by name (shipped with the runtime or a package).</summary>
    public ModelBuilder BuiltIn(string name)
    {
        Source = ModelSource.BuiltIn(name);
        return this;
    }
}
