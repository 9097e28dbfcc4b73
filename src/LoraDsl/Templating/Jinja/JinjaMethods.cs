using System.Globalization;
using System.Text;

namespace LoraDsl.Templating.Jinja;

/// <summary>
/// The Python methods templates call on strings, dicts and lists. Methods that would change a value
/// (list.append, dict.update...) are refused, as ImmutableSandboxedEnvironment refuses them.
/// </summary>
internal static class JinjaMethods
{
    static readonly HashSet<string> ListMutators = ["append", "clear", "extend", "insert", "pop", "remove", "reverse", "sort", "__setitem__", "__delitem__"];
    static readonly HashSet<string> DictMutators = ["clear", "pop", "popitem", "setdefault", "update", "__setitem__", "__delitem__"];

    public static JinjaFunction? Find(object? target, string name) => target switch
    {
        string s => StringMethod(s, name),
        JinjaDict d => DictMethod(d, name),
        List<object?> l => ListMethod(l, name, "list"),
        JinjaTuple t => name is "index" or "count" ? ListMethod(t.Items, name, "tuple") : null,
        _ => null,
    };

    static JinjaFunction Method(string name, Func<JinjaArguments, object?> body) =>
        new(name, (context, positional, named) => body(new JinjaArguments(context, name, positional, named)));

    static JinjaFunction Unsafe(string type, string name) =>
        Method(name, a => throw a.Context.Error($"access to attribute '{name}' of '{type}' object is unsafe."));

    static JinjaFunction? ListMethod(IReadOnlyList<object?> list, string name, string type)
    {
        if (type == "list" && ListMutators.Contains(name)) return Unsafe(type, name);
        return name switch
        {
            "index" => Method(name, a =>
            {
                var item = a.Required(0, "value");
                for (var i = 0; i < list.Count; i++) if (PyValue.Equals(list[i], item)) return (long)i;
                throw a.Context.Error($"{PyValue.Repr(item)} is not in {type}");
            }),
            "count" => Method(name, a => (long)list.Count(x => PyValue.Equals(x, a.Get(0, "value")))),
            "copy" => Method(name, _ => list.ToList()),
            _ => null,
        };
    }

    static JinjaFunction? DictMethod(JinjaDict dict, string name)
    {
        if (DictMutators.Contains(name)) return Unsafe("dict", name);
        return name switch
        {
            "items" => Method(name, _ => dict.Pairs.Select(p => (object?)new JinjaTuple([p.Key, p.Value])).ToList()),
            "keys" => Method(name, _ => dict.Keys.ToList()),
            "values" => Method(name, _ => dict.Pairs.Select(p => p.Value).ToList()),
            "get" => Method(name, a => dict.TryGet(a.Required(0, "key"), out var v) ? v : a.Get(1, "default")),
            "copy" => Method(name, _ =>
            {
                var copy = new JinjaDict();
                foreach (var (k, v) in dict.Pairs) copy.Set(k, v);
                return copy;
            }),
            _ => null,
        };
    }

    static JinjaFunction? StringMethod(string s, string name) => name switch
    {
        "strip" => Method(name, a => PyValue.Strip(s, OptionalChars(a), true, true)),
        "lstrip" => Method(name, a => PyValue.Strip(s, OptionalChars(a), true, false)),
        "rstrip" => Method(name, a => PyValue.Strip(s, OptionalChars(a), false, true)),
        "upper" => Method(name, _ => s.ToUpperInvariant()),
        "lower" => Method(name, _ => s.ToLowerInvariant()),
        "title" => Method(name, _ => PyTitle(s)),
        "capitalize" => Method(name, _ => Capitalize(s)),
        "swapcase" => Method(name, _ => string.Concat(s.Select(c => char.IsUpper(c) ? char.ToLowerInvariant(c) : char.ToUpperInvariant(c)))),
        "startswith" => Method(name, a => Affixes(a, "prefix").Any(p => s.StartsWith(p, StringComparison.Ordinal))),
        "endswith" => Method(name, a => Affixes(a, "suffix").Any(p => s.EndsWith(p, StringComparison.Ordinal))),
        "split" => Method(name, a => Split(s, a.Get(0, "sep") as string, a.Integer(1, "maxsplit", -1))),
        "rsplit" => Method(name, a => RSplit(s, a.Get(0, "sep") as string, a.Integer(1, "maxsplit", -1))),
        "splitlines" => Method(name, a => SplitLines(s, a.Bool(0, "keepends", false))),
        "replace" => Method(name, a => Replace(s, a.String(0, "old"), a.String(1, "new"), a.Integer(2, "count", -1))),
        "find" => Method(name, a => (long)s.IndexOf(a.String(0, "sub"), StringComparison.Ordinal)),
        "rfind" => Method(name, a => (long)s.LastIndexOf(a.String(0, "sub"), StringComparison.Ordinal)),
        "index" => Method(name, a => s.IndexOf(a.String(0, "sub"), StringComparison.Ordinal) is var i and >= 0 ? (long)i : throw a.Context.Error("substring not found")),
        "count" => Method(name, a => (long)Count(s, a.String(0, "sub"))),
        "join" => Method(name, a => string.Join(s, a.Context.Evaluator.Iterate(a.Required(0, "iterable"), new LiteralExpr(null, a.Context.Line, a.Context.Column))
            .Select(x => x is string t ? t : throw a.Context.Error($"sequence item: expected str instance, {PyValue.TypeName(x)} found")))),
        "removeprefix" => Method(name, a => a.String(0, "prefix") is var p && s.StartsWith(p, StringComparison.Ordinal) ? s[p.Length..] : s),
        "removesuffix" => Method(name, a => a.String(0, "suffix") is var p && p.Length > 0 && s.EndsWith(p, StringComparison.Ordinal) ? s[..^p.Length] : s),
        "isdigit" or "isnumeric" or "isdecimal" => Method(name, _ => s.Length > 0 && s.All(char.IsDigit)),
        "isalpha" => Method(name, _ => s.Length > 0 && s.All(char.IsLetter)),
        "isalnum" => Method(name, _ => s.Length > 0 && s.All(char.IsLetterOrDigit)),
        "isspace" => Method(name, _ => s.Length > 0 && s.All(PyValue.IsSpace)),
        "isupper" => Method(name, _ => s.Any(char.IsLetter) && !s.Any(char.IsLower)),
        "islower" => Method(name, _ => s.Any(char.IsLetter) && !s.Any(char.IsUpper)),
        "zfill" => Method(name, a => ZFill(s, (int)a.Integer(0, "width", 0))),
        "center" => Method(name, a => Center(s, (int)a.Integer(0, "width", 0), a.String(1, "fillchar", " "))),
        "format" => Method(name, a => Format(s, a)),
        _ => null,
    };

    static string? OptionalChars(JinjaArguments a) => a.Get(0, "chars") as string;

    static IEnumerable<string> Affixes(JinjaArguments a, string name) => a.Required(0, name) switch
    {
        string p => [p],
        JinjaTuple t => t.Items.Select(PyValue.Str),
        var other => throw a.Context.Error($"{name} must be str or a tuple of str, not {PyValue.TypeName(other)}"),
    };

    public static string Capitalize(string s) => s.Length == 0 ? s : char.ToUpperInvariant(s[0]) + s[1..].ToLowerInvariant();

    /// <summary>Python's str.title: a letter after a non-letter is upper-cased, every other letter lower-cased.</summary>
    public static string PyTitle(string s)
    {
        var sb = new StringBuilder(s.Length);
        var previousCased = false;
        foreach (var c in s)
        {
            sb.Append(previousCased ? char.ToLowerInvariant(c) : char.ToUpperInvariant(c));
            previousCased = char.IsLetter(c);
        }
        return sb.ToString();
    }

    public static List<object?> Split(string s, string? sep, long maxsplit)
    {
        var parts = new List<object?>();
        if (sep is null)
        {
            var i = 0;
            while (true)
            {
                while (i < s.Length && PyValue.IsSpace(s[i])) i++;
                if (i >= s.Length) break;
                if (maxsplit >= 0 && parts.Count == maxsplit)
                {
                    parts.Add(PyValue.Strip(s[i..], null, false, true));
                    break;
                }
                var start = i;
                while (i < s.Length && !PyValue.IsSpace(s[i])) i++;
                parts.Add(s[start..i]);
            }
            return parts;
        }
        if (sep.Length == 0) throw new ArgumentException("empty separator");
        var from = 0;
        while (maxsplit < 0 || parts.Count < maxsplit)
        {
            var at = s.IndexOf(sep, from, StringComparison.Ordinal);
            if (at < 0) break;
            parts.Add(s[from..at]);
            from = at + sep.Length;
        }
        parts.Add(s[from..]);
        return parts;
    }

    static List<object?> RSplit(string s, string? sep, long maxsplit)
    {
        if (maxsplit < 0 || sep is null) return Split(s, sep, maxsplit);
        var parts = new List<object?>();
        var end = s.Length;
        while (parts.Count < maxsplit)
        {
            var at = end == 0 ? -1 : s.LastIndexOf(sep, end - 1, StringComparison.Ordinal);
            if (at < 0 || at + sep.Length > end) break;
            parts.Insert(0, s[(at + sep.Length)..end]);
            end = at;
        }
        parts.Insert(0, s[..end]);
        return parts;
    }

    static List<object?> SplitLines(string s, bool keepEnds)
    {
        var lines = new List<object?>();
        var start = 0;
        for (var i = 0; i < s.Length; i++)
        {
            if (s[i] is not ('\n' or '\r' or '\v' or '\f' or '\x1c' or '\x1d' or '\x1e' or '\x85' or '\u2028' or '\u2029')) continue;
            var end = i;
            if (s[i] == '\r' && i + 1 < s.Length && s[i + 1] == '\n') i++;
            lines.Add(keepEnds ? s[start..(i + 1)] : s[start..end]);
            start = i + 1;
        }
        if (start < s.Length) lines.Add(s[start..]);
        return lines;
    }

    public static string Replace(string s, string old, string replacement, long count)
    {
        if (count < 0) return old.Length == 0 ? InsertEverywhere(s, replacement, long.MaxValue) : s.Replace(old, replacement, StringComparison.Ordinal);
        if (old.Length == 0) return InsertEverywhere(s, replacement, count);
        var sb = new StringBuilder();
        var from = 0;
        for (var n = 0; n < count; n++)
        {
            var at = s.IndexOf(old, from, StringComparison.Ordinal);
            if (at < 0) break;
            sb.Append(s, from, at - from).Append(replacement);
            from = at + old.Length;
        }
        return sb.Append(s, from, s.Length - from).ToString();
    }

    static string InsertEverywhere(string s, string insert, long count)
    {
        var sb = new StringBuilder();
        for (var i = 0; i <= s.Length; i++)
        {
            if (i < count) sb.Append(insert);
            if (i < s.Length) sb.Append(s[i]);
        }
        return sb.ToString();
    }

    static int Count(string s, string sub)
    {
        if (sub.Length == 0) return s.Length + 1;
        var n = 0;
        for (var at = s.IndexOf(sub, StringComparison.Ordinal); at >= 0; at = s.IndexOf(sub, at + sub.Length, StringComparison.Ordinal)) n++;
        return n;
    }

    static string ZFill(string s, int width)
    {
        if (s.Length >= width) return s;
        var sign = s.Length > 0 && s[0] is '+' or '-' ? s[..1] : "";
        return sign + new string('0', width - s.Length) + s[sign.Length..];
    }

    static string Center(string s, int width, string fill)
    {
        if (s.Length >= width) return s;
        var total = width - s.Length;
        var left = total / 2 + (total & width & 1);
        return new string(fill[0], left) + s + new string(fill[0], total - left);
    }

    /// <summary>str.format with {}, {0} and {name} fields (no format specs beyond plain conversion).</summary>
    static string Format(string format, JinjaArguments a)
    {
        var sb = new StringBuilder();
        var auto = 0;
        for (var i = 0; i < format.Length; i++)
        {
            var c = format[i];
            if (c == '{' && i + 1 < format.Length && format[i + 1] == '{') { sb.Append('{'); i++; continue; }
            if (c == '}' && i + 1 < format.Length && format[i + 1] == '}') { sb.Append('}'); i++; continue; }
            if (c != '{') { sb.Append(c); continue; }
            var close = format.IndexOf('}', i);
            if (close < 0) throw a.Context.Error("Single '{' encountered in format string");
            var field = format[(i + 1)..close];
            var colon = field.IndexOf(':');
            if (colon >= 0) field = field[..colon];
            object? value;
            if (field.Length == 0) value = a.Get(auto++, "\0");
            else if (int.TryParse(field, NumberStyles.None, CultureInfo.InvariantCulture, out var position)) value = a.Get(position, "\0");
            else value = a.Named.TryGetValue(field, out var v) ? v : throw a.Context.Error($"KeyError: '{field}'");
            sb.Append(PyValue.Str(value));
            i = close;
        }
        return sb.ToString();
    }
}
