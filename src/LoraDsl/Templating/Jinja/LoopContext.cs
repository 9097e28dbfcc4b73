namespace LoraDsl.Templating.Jinja;

/// <summary>The `loop` variable of a for loop.</summary>
internal sealed class LoopContext(IReadOnlyList<object?> items, int depth0)
{
    public int Index0 { get; set; }

    public object? Attribute(string name) => name switch
    {
        "index" => (long)Index0 + 1,
        "index0" => (long)Index0,
        "revindex" => (long)(items.Count - Index0),
        "revindex0" => (long)(items.Count - Index0 - 1),
        "first" => Index0 == 0,
        "last" => Index0 == items.Count - 1,
        "length" => (long)items.Count,
        "depth" => (long)depth0 + 1,
        "depth0" => (long)depth0,
        "previtem" => Index0 > 0 ? items[Index0 - 1] : new Undefined("there is no previous item"),
        "nextitem" => Index0 < items.Count - 1 ? items[Index0 + 1] : new Undefined("there is no next item"),
        "cycle" => new JinjaFunction("cycle", (context, args, _) =>
            args.Count == 0 ? throw context.Error("no items for cycling given") : args[Index0 % args.Count]),
        _ => new Undefined($"'LoopContext' object has no attribute '{name}'"),
    };
}
