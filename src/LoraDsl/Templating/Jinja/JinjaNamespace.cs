namespace LoraDsl.Templating.Jinja;

/// <summary>The object namespace() makes: the one value a template may change from inside a loop.</summary>
internal sealed class JinjaNamespace
{
    public Dictionary<string, object?> Attributes { get; } = new(StringComparer.Ordinal);
}
