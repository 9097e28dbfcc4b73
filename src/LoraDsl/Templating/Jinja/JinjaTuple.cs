namespace LoraDsl.Templating.Jinja;

/// <summary>A Python tuple (dict.items() pairs, `(a, b)` literals): a read-only sequence printed with parentheses.</summary>
internal sealed class JinjaTuple(IReadOnlyList<object?> items)
{
    public IReadOnlyList<object?> Items { get; } = items;
}
