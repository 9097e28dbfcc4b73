namespace LoraDsl.Generators.Parsing;

/// <summary>
/// One setting a recipe states (<see cref="RecipeModel.Settings"/>: the attributes', then Configure's, in the order
/// the builders apply them; a later statement of a key replaces an earlier one), as values: the catalog key (<c>training.lr</c>), the constant as <c>--set</c> would
/// write it (null when the argument is not a compile-time constant), the number for numeric constants, where the
/// value was written, and (for <c>[Setting]</c>) where the key was written.
/// </summary>
public sealed record SettingValue(string Key, string? Text, double? Number, SourceLocation? Location, SourceLocation? KeyLocation = null)
{
    /// <summary>Whether the value is a compile-time constant (the emitter can write it as a constant).</summary>
    public bool IsConstant => Text is not null;
}
