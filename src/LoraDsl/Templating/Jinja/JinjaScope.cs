namespace LoraDsl.Templating.Jinja;

/// <summary>
/// Variables visible at one point of a template. A for loop body and a macro get their own scope, so a
/// `set` inside them does not change the outer variable (that is what namespace() is for).
/// </summary>
internal sealed class JinjaScope(JinjaScope? parent)
{
    readonly Dictionary<string, object?> variables = new(StringComparer.Ordinal);

    public bool TryGet(string name, out object? value)
    {
        for (var s = this; s is not null; s = s.Parent)
            if (s.variables.TryGetValue(name, out value)) return true;
        value = null;
        return false;
    }

    public JinjaScope? Parent { get; } = parent;

    public void Set(string name, object? value) => variables[name] = value;
}
