namespace LoraDsl.Templating.Jinja;

/// <summary>
/// Jinja2's default Undefined: renders as "", is falsy and iterates as empty; any further attribute,
/// item or arithmetic on it is an error that names what was missing.
/// </summary>
internal sealed class Undefined(string hint)
{
    /// <summary>Why it is undefined, in Jinja2's words ("'x' is undefined", "'dict object' has no attribute 'y'").</summary>
    public string Hint { get; } = hint;

    public static Undefined Name(string name) => new($"'{name}' is undefined");

    public override string ToString() => "";
}
