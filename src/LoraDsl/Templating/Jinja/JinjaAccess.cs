namespace LoraDsl.Templating.Jinja;

/// <summary>
/// `a.b` and `a[b]` as Jinja2's sandbox resolves them: attribute first then item for `.`, item first then
/// attribute for `[]`; a missing one is Undefined with Jinja2's hint; methods that mutate are refused.
/// </summary>
internal static class JinjaAccess
{
    public static object? Attribute(object? target, string name, JinjaNode at)
    {
        if (target is Undefined u) throw new JinjaException(u.Hint, at.Line, at.Column);
        if (JinjaMethods.Find(target, name) is { } method) return method;
        switch (target)
        {
            case JinjaDict d when d.TryGet(name, out var v): return v;
            case JinjaNamespace ns when ns.Attributes.TryGetValue(name, out var v): return v;
            case LoopContext loop: return loop.Attribute(name);
        }
        return Missing(target, name);
    }

    public static object? Item(object? target, object? key, JinjaNode at)
    {
        if (target is Undefined u) throw new JinjaException(u.Hint, at.Line, at.Column);
        switch (target)
        {
            case JinjaDict d:
                if (d.TryGet(key, out var v)) return v;
                break;
            case string s when key is long or bool:
                var runes = s.EnumerateRunes().ToList();
                var si = Index(PyValue.ToLong(key), runes.Count);
                return si is { } at0 ? runes[at0].ToString() : new Undefined($"'str object' has no element {PyValue.Repr(key)}");
            case List<object?> or JinjaTuple when key is long or bool:
                var list = PyValue.Sequence(target)!;
                var li = Index(PyValue.ToLong(key), list.Count);
                return li is { } at1 ? list[at1] : new Undefined($"'{PyValue.TypeName(target)} object' has no element {PyValue.Repr(key)}");
            case JinjaNamespace or LoopContext when key is string name:
                return Attribute(target, name, at);
        }
        if (key is string attr && target is not JinjaDict && JinjaMethods.Find(target, attr) is { } method) return method;
        if (key is string dictAttr && target is JinjaDict && JinjaMethods.Find(target, dictAttr) is { } dictMethod) return dictMethod;
        return key is string text ? Missing(target, text) : new Undefined($"{Describe(target)} has no element {PyValue.Repr(key)}");
    }

    static int? Index(long index, int count)
    {
        if (index < 0) index += count;
        return index >= 0 && index < count ? (int)index : null;
    }

    static Undefined Missing(object? target, string name) => new($"{Describe(target)} has no attribute '{name}'");

    static string Describe(object? target) => target is null ? "None" : $"'{PyValue.TypeName(target)} object'";

    /// <summary>Python slicing of a list, tuple or string (negative bounds and steps included).</summary>
    public static object? Slice(object? target, object? start, object? stop, object? step, JinjaNode at)
    {
        if (target is Undefined u) throw new JinjaException(u.Hint, at.Line, at.Column);
        var stepValue = step is null ? 1 : PyValue.ToLong(step);
        if (stepValue == 0) throw new JinjaException("slice step cannot be zero", at.Line, at.Column);
        List<object?> items;
        switch (target)
        {
            case string s: items = s.EnumerateRunes().Select(r => (object?)r.ToString()).ToList(); break;
            case List<object?> or JinjaTuple: items = PyValue.Sequence(target)!.ToList(); break;
            default: throw new JinjaException($"'{PyValue.TypeName(target)}' object is not subscriptable", at.Line, at.Column);
        }
        var n = (long)items.Count;
        long lo, hi;
        if (stepValue > 0)
        {
            lo = start is null ? 0 : Clamp(PyValue.ToLong(start), n, 0, n);
            hi = stop is null ? n : Clamp(PyValue.ToLong(stop), n, 0, n);
        }
        else
        {
            lo = start is null ? n - 1 : Clamp(PyValue.ToLong(start), n, -1, n - 1);
            hi = stop is null ? -1 : Clamp(PyValue.ToLong(stop), n, -1, n - 1);
        }
        var result = new List<object?>();
        if (stepValue > 0) for (var i = lo; i < hi; i += stepValue) result.Add(items[(int)i]);
        else for (var i = lo; i > hi; i += stepValue) result.Add(items[(int)i]);
        return target switch
        {
            string => string.Concat(result.Cast<string>()),
            JinjaTuple => new JinjaTuple(result),
            _ => result,
        };
    }

    static long Clamp(long index, long n, long min, long max)
    {
        if (index < 0) index += n;
        return Math.Clamp(index, min, max);
    }
}
