namespace LoraDsl.Templating.Jinja;

/// <summary>Reads a call's arguments the way a Python signature would: by position, then by name, else a default.</summary>
internal readonly struct JinjaArguments(JinjaCallContext context, string callee, IReadOnlyList<object?> positional, IReadOnlyDictionary<string, object?> named)
{
    public JinjaCallContext Context => context;

    public int Count => positional.Count;

    public IReadOnlyList<object?> Positional => positional;

    public IReadOnlyDictionary<string, object?> Named => named;

    public bool Has(int index, string name) => index < positional.Count || named.ContainsKey(name);

    public object? Get(int index, string name, object? fallback = null) =>
        index < positional.Count ? positional[index] : named.TryGetValue(name, out var v) ? v : fallback;

    public object? Required(int index, string name) =>
        Has(index, name) ? Get(index, name) : throw context.Error($"{callee}() missing required argument: '{name}'");

    public string String(int index, string name, string? fallback = null)
    {
        var v = Get(index, name, fallback);
        return v is string s ? s : v is null or Undefined && fallback is null ? throw context.Error($"{callee}() argument '{name}' must be str, not {PyValue.TypeName(v)}") : PyValue.Str(v);
    }

    public long Integer(int index, string name, long fallback) => Get(index, name, fallback) switch
    {
        long l => l,
        bool b => b ? 1 : 0,
        double d => (long)d,
        var other => throw context.Error($"{callee}() argument '{name}' must be an integer, not {PyValue.TypeName(other)}"),
    };

    public bool Bool(int index, string name, bool fallback) => PyValue.IsTrue(Get(index, name, fallback));
}
