namespace LoraDsl.Templating.Jinja;

/// <summary>A Python dict: insertion-ordered, keys compared as Python compares them (1 == 1.0 == True).</summary>
internal sealed class JinjaDict
{
    readonly List<object?> keys = [];
    readonly Dictionary<KeyBox, object?> values = new();

    public int Count => keys.Count;

    public IEnumerable<object?> Keys => keys;

    public IEnumerable<(object? Key, object? Value)> Pairs => keys.Select(k => (k, values[new KeyBox(k)]));

    public void Set(object? key, object? value)
    {
        var box = new KeyBox(key);
        if (!values.ContainsKey(box)) keys.Add(key);
        values[box] = value;
    }

    public bool TryGet(object? key, out object? value) => values.TryGetValue(new KeyBox(key), out value);

    public bool ContainsKey(object? key) => values.ContainsKey(new KeyBox(key));

    readonly record struct KeyBox(object? Key)
    {
        public bool Equals(KeyBox other) => PyValue.Equals(Key, other.Key);

        public override int GetHashCode() => PyValue.HashCode(Key);
    }
}
