namespace LoraDsl.Templating.Jinja;

/// <summary>
/// What map, select, reject, selectattr and rejectattr return in Jinja2: a generator, not a list. It
/// iterates, but is always true (even when empty), has no length, cannot be indexed and is not JSON.
/// </summary>
internal sealed class JinjaGenerator(IReadOnlyList<object?> items)
{
    public IReadOnlyList<object?> Items { get; } = items;
}
