namespace LoraDsl.Recipes;

/// <summary>
/// Marks a <c>partial</c> class as a recipe for <paramref name="architecture"/> (a class marked
/// [LoraArchitecture]); the generator adds <c>Build</c>, <c>Definition</c> and <c>Run</c>.
/// </summary>
[AttributeUsage(AttributeTargets.Class, Inherited = false)]
public sealed class LoraRecipeAttribute(string name, Type architecture) : Attribute
{
    public string Name { get; } = name;
    public Type Architecture { get; } = architecture;

    /// <summary>The depth of the checkpoint this recipe trains (0 = unknown), for compile-time layer checks.</summary>
    public int KnownDepth { get; set; }

    /// <summary>A checkpoint folder, for recipes without a Configure method.</summary>
    public string? Model { get; set; }

    /// <summary>A model the engine knows by name, for recipes without a Configure method.</summary>
    public string? BuiltInModel { get; set; }
}
