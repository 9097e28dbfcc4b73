namespace LoraDsl.Templating.Jinja;

/// <summary>
/// The functions every template can call: Jinja2's range, dict, namespace, cycler/joiner-free subset, and
/// transformers' raise_exception and strftime_now.
/// </summary>
internal static class JinjaGlobals
{
    public static Dictionary<string, object?> Create(Func<DateTime> now)
    {
        var globals = new Dictionary<string, object?>(StringComparer.Ordinal)
        {
            ["range"] = new JinjaFunction("range", Range),
            ["dict"] = new JinjaFunction("dict", (_, positional, named) =>
            {
                var d = new JinjaDict();
                if (positional.Count > 0 && positional[0] is JinjaDict source) foreach (var (k, v) in source.Pairs) d.Set(k, v);
                foreach (var (k, v) in named) d.Set(k, v);
                return d;
            }),
            ["namespace"] = new JinjaFunction("namespace", (_, positional, named) =>
            {
                var ns = new JinjaNamespace();
                if (positional.Count > 0 && positional[0] is JinjaDict source) foreach (var (k, v) in source.Pairs) ns.Attributes[PyValue.Str(k)] = v;
                foreach (var (k, v) in named) ns.Attributes[k] = v;
                return ns;
            }),
            ["raise_exception"] = new JinjaFunction("raise_exception", (context, positional, named) =>
            {
                var message = positional.Count > 0 ? positional[0] : named.GetValueOrDefault("message");
                throw new JinjaException(PyValue.Str(message), context.Line, context.Column, raisedByTemplate: true);
            }),
            ["strftime_now"] = new JinjaFunction("strftime_now", (context, positional, named) =>
            {
                var format = positional.Count > 0 ? positional[0] : named.GetValueOrDefault("format");
                return format is string f ? PyStrftime.Format(now(), f) : throw context.Error("strftime_now() argument must be str");
            }),
        };
        return globals;
    }

    static object? Range(JinjaCallContext context, IReadOnlyList<object?> positional, IReadOnlyDictionary<string, object?> named)
    {
        if (positional.Count is 0 or > 3 || positional.Any(p => p is not (long or bool)))
            throw context.Error("range() takes 1 to 3 integer arguments");
        long start = 0, stop, step = 1;
        if (positional.Count == 1) stop = PyValue.ToLong(positional[0]);
        else
        {
            start = PyValue.ToLong(positional[0]);
            stop = PyValue.ToLong(positional[1]);
            if (positional.Count == 3) step = PyValue.ToLong(positional[2]);
        }
        if (step == 0) throw context.Error("range() arg 3 must not be zero");
        var items = new List<object?>();
        for (var i = start; step > 0 ? i < stop : i > stop; i += step)
        {
            items.Add(i);
            if (items.Count > 100_000) throw context.Error("Range too big. The sandbox blocks ranges larger than MAX_RANGE (100000).");
        }
        return items;
    }
}
