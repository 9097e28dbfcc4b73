using LoraDsl.Generators.Parsing;

namespace LoraDsl.Generators.Emitting;

/// <summary>
/// Which parts the generated loop needs, from the constants a recipe states. A value the generator cannot see
/// (not a constant) keeps the general code.
/// </summary>
public sealed record RecipeShape(bool Accumulates, bool Evaluates)
{
    public static RecipeShape Of(RecipeModel recipe) => new(
        Accumulates: Constant(recipe, "training.grad_accum") is not "1",
        Evaluates: Constant(recipe, "data.validation_fraction") is not "0");

    /// <summary>The constant text the recipe gives <paramref name="key"/> (as --set would write it), or null when unknown or unset.</summary>
    public static string? Constant(RecipeModel recipe, string key) => null;
}
