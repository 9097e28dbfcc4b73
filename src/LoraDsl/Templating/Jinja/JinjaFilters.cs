using System.Globalization;
using System.Text;
using System.Text.RegularExpressions;

namespace LoraDsl.Templating.Jinja;

/// <summary>Jinja2's built-in filters, with transformers' tojson in place of Jinja2's own.</summary>
internal static partial class JinjaFilters
{
    delegate object? Filter(object? value, JinjaArguments a);

    static readonly Dictionary<string, Filter> Filters = new(StringComparer.Ordinal)
    {
        ["abs"] = (v, a) => v switch { long l => (object)Math.Abs(l), double d => Math.Abs(d), bool b => b ? 1L : 0L, _ => throw a.Context.Error($"bad operand type for abs(): '{PyValue.TypeName(v)}'") },
        ["attr"] = (v, a) => JinjaAccess.Attribute(v, a.String(0, "name"), At(a)),
        ["batch"] = Batch,
        ["capitalize"] = (v, _) => JinjaMethods.Capitalize(Text(v)),
        ["center"] = (v, a) => Center(Text(v), (int)a.Integer(0, "width", 80)),
        ["default"] = Default,
        ["d"] = Default,
        ["dictsort"] = DictSort,
        ["escape"] = (v, _) => Escape(v),
        ["e"] = (v, _) => Escape(v),
        ["first"] = (v, a) => Items(v, a) is { Count: > 0 } l ? l[0] : new Undefined("No first item, sequence was empty."),
        ["last"] = (v, a) => Items(v, a) is { Count: > 0 } l ? l[^1] : new Undefined("No last item, sequence was empty."),
        ["float"] = (v, a) => ToFloat(v, a.Get(0, "default", 0.0)),
        ["format"] = (v, a) => JinjaOperators.PercentFormat(Text(v), a.Named.Count > 0 ? Named(a) : new JinjaTuple(a.Positional), At(a)),
        ["indent"] = Indent,
        ["int"] = (v, a) => ToInt(v, a.Get(0, "default", 0L), a.Integer(1, "base", 10)),
        ["items"] = (v, a) => v switch
        {
            Undefined => new List<object?>(),
            JinjaDict d => d.Pairs.Select(p => (object?)new JinjaTuple([p.Key, p.Value])).ToList(),
            _ => throw a.Context.Error($"Can only get item pairs from a mapping, not {PyValue.TypeName(v)}."),
        },
        ["join"] = Join,
        ["length"] = Length,
        ["count"] = Length,
        ["list"] = (v, a) => Items(v, a).ToList(),
        ["lower"] = (v, _) => Text(v).ToLowerInvariant(),
        ["upper"] = (v, _) => Text(v).ToUpperInvariant(),
        ["map"] = Map,
        ["max"] = (v, a) => MinMax(v, a, max: true),
        ["min"] = (v, a) => MinMax(v, a, max: false),
        ["reject"] = (v, a) => Select(v, a, attribute: false, keep: false),
        ["rejectattr"] = (v, a) => Select(v, a, attribute: true, keep: false),
        ["select"] = (v, a) => Select(v, a, attribute: false, keep: true),
        ["selectattr"] = (v, a) => Select(v, a, attribute: true, keep: true),
        ["replace"] = (v, a) => JinjaMethods.Replace(Text(v), a.String(0, "old"), a.String(1, "new"), a.Get(2, "count") is null ? -1 : a.Integer(2, "count", -1)),
        ["reverse"] = (v, a) => v is string s ? new string(s.Reverse().ToArray()) : Enumerable.Reverse(Items(v, a)).ToList(),
        ["round"] = Round,
        ["safe"] = (v, _) => Text(v),
        ["string"] = (v, _) => PyValue.Str(v),
        ["sort"] = Sort,
        ["striptags"] = (v, _) => string.Join(' ', PyValue.Strip(TagPattern().Replace(Text(v), ""), null, true, true).Split((char[]?)null, StringSplitOptions.RemoveEmptyEntries)),
        ["sum"] = Sum,
        ["title"] = (v, _) => Title(Text(v)),
        ["tojson"] = ToJson,
        ["trim"] = (v, a) => PyValue.Strip(Text(v), a.Get(0, "chars") as string, true, true),
        ["truncate"] = Truncate,
        ["unique"] = Unique,
        ["wordcount"] = (v, _) => (long)WordPattern().Matches(Text(v)).Count,
    };

    public static bool Exists(string name) => Filters.ContainsKey(name);

    public static object? Apply(string name, object? value, JinjaArguments arguments) =>
        Filters.TryGetValue(name, out var filter) ? filter(value, arguments) : throw arguments.Context.Error($"No filter named '{name}'.");

    static JinjaNode At(JinjaArguments a) => new LiteralExpr(null, a.Context.Line, a.Context.Column);

    static string Text(object? v) => PyValue.Str(v);

    static List<object?> Items(object? v, JinjaArguments a) => a.Context.Evaluator.Iterate(v, At(a)).ToList();

    static JinjaDict Named(JinjaArguments a)
    {
        var d = new JinjaDict();
        foreach (var (k, v) in a.Named) d.Set(k, v);
        return d;
    }

    static object? Default(object? v, JinjaArguments a)
    {
        var fallback = a.Get(0, "default_value", "");
        var boolean = a.Bool(1, "boolean", false);
        return v is Undefined || (boolean && !PyValue.IsTrue(v)) ? fallback : v;
    }

    static object? Length(object? v, JinjaArguments a) => v switch
    {
        string s => (long)s.EnumerateRunes().Count(),
        List<object?> l => (long)l.Count,
        JinjaTuple t => (long)t.Items.Count,
        JinjaDict d => (long)d.Count,
        Undefined => 0L,
        _ => throw a.Context.Error($"object of type '{PyValue.TypeName(v)}' has no len()"),
    };

    static object? Join(object? v, JinjaArguments a)
    {
        var separator = a.String(0, "d", "");
        var items = Items(v, a);
        if (a.Get(1, "attribute") is { } attribute) items = items.Select(x => AttributeGetter(attribute, a)(x)).ToList();
        return string.Join(separator, items.Select(Text));
    }

    // Jinja2's make_attrgetter: "a.b" walks items/attributes, "0" indexes.
    static Func<object?, object?> AttributeGetter(object? attribute, JinjaArguments a, object? fallback = null, bool hasFallback = false)
    {
        object?[] parts = attribute is string s ? s.Split(".").Select(p => long.TryParse(p, out var n) ? (object?)n : p).ToArray() : [attribute];
        return item =>
        {
            foreach (var part in parts)
            {
                item = JinjaAccess.Item(item, part, At(a));
                if (hasFallback && item is Undefined) return fallback;
            }
            return item;
        };
    }

    static object? Map(object? v, JinjaArguments a)
    {
        var items = Items(v, a);
        if (a.Named.TryGetValue("attribute", out var attribute))
        {
            var getter = AttributeGetter(attribute, a, a.Named.GetValueOrDefault("default"), a.Named.ContainsKey("default"));
            return items.Select(getter).ToList();
        }
        var filter = a.String(0, "filter");
        var rest = a.Positional.Skip(1).ToList();
        var named = a.Named;
        return items.Select(x => Apply(filter, x, new JinjaArguments(a.Context, filter, rest, named))).ToList();
    }

    static object? Select(object? v, JinjaArguments a, bool attribute, bool keep)
    {
        var items = Items(v, a);
        var offset = 0;
        Func<object?, object?> getter = x => x;
        if (attribute)
        {
            getter = AttributeGetter(a.Required(0, "attribute"), a);
            offset = 1;
        }
        if (a.Count <= offset) return items.Where(x => PyValue.IsTrue(getter(x)) == keep).ToList();
        var testName = a.Positional[offset] as string ?? throw a.Context.Error("test name must be a string");
        var testArgs = a.Positional.Skip(offset + 1).ToList();
        return items.Where(x => JinjaTests.Apply(testName, getter(x), new JinjaArguments(a.Context, testName, testArgs, a.Named)) == keep).ToList();
    }

    static object? Unique(object? v, JinjaArguments a)
    {
        var caseSensitive = a.Bool(0, "case_sensitive", false);
        var getter = a.Get(1, "attribute") is { } attr ? AttributeGetter(attr, a) : (x => x);
        var seen = new List<object?>();
        var result = new List<object?>();
        foreach (var item in Items(v, a))
        {
            var key = getter(item);
            if (!caseSensitive && key is string s) key = s.ToLowerInvariant();
            if (seen.Any(k => PyValue.Equals(k, key))) continue;
            seen.Add(key);
            result.Add(item);
        }
        return result;
    }

    static Func<object?, object?> SortKey(JinjaArguments a, object? attribute, bool caseSensitive)
    {
        var getter = attribute is not null ? AttributeGetter(attribute, a) : (x => x);
        return x =>
        {
            var key = getter(x);
            return !caseSensitive && key is string s ? s.ToLowerInvariant() : key;
        };
    }

    static object? Sort(object? v, JinjaArguments a)
    {
        var key = SortKey(a, a.Get(2, "attribute"), a.Bool(1, "case_sensitive", false));
        var items = Items(v, a);
        Exception Error(string m) => a.Context.Error(m);
        var sorted = items.Select((x, i) => (x, i)).ToList();
        sorted.Sort((p, q) => PyValue.Compare(key(p.x), key(q.x), Error) is var c && c != 0 ? c : p.i.CompareTo(q.i));
        if (a.Bool(0, "reverse", false))
        {
            // Python's sort(reverse=True) keeps equal items in their original order.
            sorted.Sort((p, q) => PyValue.Compare(key(q.x), key(p.x), Error) is var c && c != 0 ? c : p.i.CompareTo(q.i));
        }
        return sorted.Select(p => p.x).ToList();
    }

    static object? DictSort(object? v, JinjaArguments a)
    {
        if (v is not JinjaDict d) throw a.Context.Error("dictsort needs a mapping");
        var caseSensitive = a.Bool(0, "case_sensitive", false);
        var byValue = a.String(1, "by", "key") == "value";
        var pairs = d.Pairs.Select(p => (object?)new JinjaTuple([p.Key, p.Value])).ToList();
        var args = new JinjaArguments(a.Context, "sort", [a.Bool(2, "reverse", false), caseSensitive, byValue ? 1L : 0L], new Dictionary<string, object?>());
        return Sort(pairs, args);
    }

    static object? MinMax(object? v, JinjaArguments a, bool max)
    {
        var items = Items(v, a);
        if (items.Count == 0) return new Undefined($"No aggregated item, sequence was empty.");
        var key = SortKey(a, a.Get(1, "attribute"), a.Bool(0, "case_sensitive", false));
        var best = items[0];
        foreach (var item in items.Skip(1))
        {
            var c = PyValue.Compare(key(item), key(best), m => a.Context.Error(m));
            if (max ? c > 0 : c < 0) best = item;
        }
        return best;
    }

    static object? Sum(object? v, JinjaArguments a)
    {
        var getter = a.Get(0, "attribute") is { } attr ? AttributeGetter(attr, a) : (x => x);
        object? total = a.Get(1, "start", 0L);
        foreach (var item in Items(v, a)) total = JinjaOperators.Binary("+", total, getter(item), At(a));
        return total;
    }

    static object? Batch(object? v, JinjaArguments a)
    {
        var size = (int)a.Integer(0, "linecount", 1);
        var fill = a.Get(1, "fill_with");
        var result = new List<object?>();
        var items = Items(v, a);
        for (var i = 0; i < items.Count; i += size)
        {
            var row = items.Skip(i).Take(size).ToList();
            if (row.Count < size && a.Has(1, "fill_with")) row.AddRange(Enumerable.Repeat(fill, size - row.Count));
            result.Add(row);
        }
        return result;
    }

    static object? Round(object? v, JinjaArguments a)
    {
        var precision = (int)a.Integer(0, "precision", 0);
        var method = a.String(1, "method", "common");
        var x = PyValue.ToDouble(v);
        var scale = Math.Pow(10, precision);
        var r = method switch
        {
            "common" => Math.Round(x, Math.Clamp(precision, 0, 15), MidpointRounding.ToEven), // Python's round(): halves to even
            "ceil" => Math.Ceiling(x * scale) / scale,
            "floor" => Math.Floor(x * scale) / scale,
            _ => throw a.Context.Error("method must be common, ceil or floor"),
        };
        return r;
    }

    static object? ToFloat(object? v, object? fallback) => v switch
    {
        double d => d,
        long l => (double)l,
        bool b => b ? 1.0 : 0.0,
        string s when double.TryParse(s.Trim(), NumberStyles.Float, CultureInfo.InvariantCulture, out var d) => d,
        _ => fallback,
    };

    static object? ToInt(object? v, object? fallback, long numberBase) => v switch
    {
        long l => l,
        bool b => b ? 1L : 0L,
        double d => (long)Math.Truncate(d),
        string s when numberBase == 10 && long.TryParse(s.Trim().Replace("_", ""), NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out var l) => l,
        string s when numberBase == 10 && double.TryParse(s.Trim(), NumberStyles.Float, CultureInfo.InvariantCulture, out var d) => (long)Math.Truncate(d),
        string s when numberBase == 16 && long.TryParse(s.Trim().Replace("0x", "").Replace("0X", ""), NumberStyles.HexNumber, CultureInfo.InvariantCulture, out var l) => l,
        _ => fallback,
    };

    static object? Indent(object? v, JinjaArguments a)
    {
        var width = a.Get(0, "width", 4L);
        var indentation = width is string s ? s : new string(' ', (int)PyValue.ToLong(width));
        var first = a.Bool(1, "first", false);
        var blank = a.Bool(2, "blank", false);
        var text = Text(v) + "\n";
        var lines = text.Split('\n').ToList();
        lines.RemoveAt(lines.Count - 1);
        var sb = new StringBuilder();
        for (var i = 0; i < lines.Count; i++)
        {
            if (i > 0) sb.Append('\n');
            var line = lines[i];
            if ((i > 0 || first) && (blank || line.Length > 0)) sb.Append(indentation);
            sb.Append(line);
        }
        return sb.ToString();
    }

    static object? Truncate(object? v, JinjaArguments a)
    {
        var s = Text(v);
        var length = (int)a.Integer(0, "length", 255);
        var killwords = a.Bool(1, "killwords", false);
        var end = a.String(2, "end", "...");
        var leeway = (int)a.Integer(3, "leeway", 5);
        if (s.Length <= length + leeway) return s;
        if (killwords) return s[..(length - end.Length)] + end;
        var cut = s[..(length - end.Length)];
        var space = cut.LastIndexOf(' ');
        return (space >= 0 ? cut[..space] : cut) + end;
    }

    static string Center(string s, int width)
    {
        if (s.Length >= width) return s;
        var total = width - s.Length;
        var left = total / 2 + (total & width & 1);
        return new string(' ', left) + s + new string(' ', total - left);
    }

    static string Escape(object? v) =>
        Text(v).Replace("&", "&amp;").Replace("<", "&lt;").Replace(">", "&gt;").Replace("\"", "&#34;").Replace("'", "&#39;");

    // Jinja2's title filter: a word starts after whitespace, '-', or an opening bracket.
    static string Title(string s) =>
        string.Concat(TitleSplit().Split(s).Where(p => p.Length > 0).Select(p => char.ToUpperInvariant(p[0]) + p[1..].ToLowerInvariant()));

    static object? ToJson(object? v, JinjaArguments a)
    {
        var indent = a.Get(1, "indent");
        var separators = a.Get(2, "separators");
        string item = indent is null ? ", " : ",", key = ": ";
        if (separators is not null)
        {
            var pair = PyValue.Sequence(separators) ?? throw a.Context.Error("separators must be a (item_separator, key_separator) pair");
            if (pair.Count != 2) throw a.Context.Error("separators must be a (item_separator, key_separator) pair");
            (item, key) = (Text(pair[0]), Text(pair[1]));
        }
        if (a.Bool(0, "ensure_ascii", false)) throw a.Context.Error("tojson(ensure_ascii=True) is not supported by this renderer");
        return PyJson.Dumps(v, indent, item, key, a.Bool(3, "sort_keys", false), m => a.Context.Error(m));
    }

    [GeneratedRegex(@"(<!--.*?-->|<[^>]*>)", RegexOptions.Singleline)]
    private static partial Regex TagPattern();

    [GeneratedRegex(@"\w+")]
    private static partial Regex WordPattern();

    [GeneratedRegex(@"([-\s\(\{\[\<]+)")]
    private static partial Regex TitleSplit();
}
