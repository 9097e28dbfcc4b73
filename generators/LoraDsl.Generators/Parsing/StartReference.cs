namespace LoraDsl.Generators.Parsing;

/// <summary>
/// One <c>s.Adapter(...)</c> of a recipe's <c>StartFrom</c>: the recipe type it names (<c>Adapter&lt;SotuRecipe&gt;()</c>,
/// fully qualified) or the folder written as a constant, its weight when constant, and where it was written.
/// </summary>
public sealed record StartReference(string? RecipeType, string? Directory, double? Weight, SourceLocation? Location);
