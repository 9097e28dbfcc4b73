// Linked into generators/LoraDsl.Generators: a target's failure as data, reported as an exception or a diagnostic.
using System.Collections.Generic;
using System.Globalization;

namespace LoraDsl.Dsl;

/// <summary>
/// A target that does not fit: the <see cref="DslMessages"/> format and its arguments (the diagnostic's message
/// arguments), and for an unknown module the closest name (the code fix's suggestion).
/// </summary>
internal sealed class TargetProblem(TargetProblemKind kind, string format, IReadOnlyList<string> arguments, string? suggestion = null)
{
    public TargetProblemKind Kind { get; } = kind;

    /// <summary>One of the <see cref="DslMessages"/> formats.</summary>
    public string Format { get; } = format;
    public IReadOnlyList<string> Arguments { get; } = arguments;
    public string? Suggestion { get; } = suggestion;

    public string Message => string.Format(CultureInfo.InvariantCulture, Format, ToObjects(Arguments));

    static object[] ToObjects(IReadOnlyList<string> arguments)
    {
        var objects = new object[arguments.Count];
        for (var i = 0; i < objects.Length; i++) objects[i] = arguments[i];
        return objects;
    }

    public override string ToString() => Message;
}
