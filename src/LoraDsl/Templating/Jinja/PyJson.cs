using System.Globalization;
using System.Text;

namespace LoraDsl.Templating.Jinja;

/// <summary>
/// Python's json.dumps as transformers' tojson calls it: ensure_ascii=False, optional indent, separators
/// and sort_keys; floats as Python prints them.
/// </summary>
internal static class PyJson
{
    public static string Dumps(object? value, object? indent, string itemSeparator, string keySeparator, bool sortKeys, Func<string, Exception> error)
    {
        var indentText = indent switch
        {
            null => null,
            long n => new string(' ', (int)Math.Max(0, n)),
            string s => s,
            _ => throw error($"indent must be an int or a string, not {PyValue.TypeName(indent)}"),
        };
        var sb = new StringBuilder();
        Write(sb, value, indentText, 0, itemSeparator, keySeparator, sortKeys, error);
        return sb.ToString();
    }

    static void Write(StringBuilder sb, object? value, string? indent, int level, string itemSeparator, string keySeparator, bool sortKeys, Func<string, Exception> error)
    {
        switch (value)
        {
            case null: sb.Append("null"); return;
            case bool b: sb.Append(b ? "true" : "false"); return;
            case long l: sb.Append(l.ToString(CultureInfo.InvariantCulture)); return;
            case double d:
                sb.Append(double.IsNaN(d) ? "NaN" : double.IsPositiveInfinity(d) ? "Infinity" : double.IsNegativeInfinity(d) ? "-Infinity" : PyValue.FloatRepr(d));
                return;
            case string s: WriteString(sb, s); return;
            case List<object?> or JinjaTuple:
                var items = PyValue.Sequence(value)!;
                if (items.Count == 0) { sb.Append("[]"); return; }
                sb.Append('[');
                for (var i = 0; i < items.Count; i++)
                {
                    if (i > 0) sb.Append(itemSeparator);
                    NewLine(sb, indent, level + 1);
                    Write(sb, items[i], indent, level + 1, itemSeparator, keySeparator, sortKeys, error);
                }
                NewLine(sb, indent, level);
                sb.Append(']');
                return;
            case JinjaDict dict:
                if (dict.Count == 0) { sb.Append("{}"); return; }
                var pairs = dict.Pairs.Select(p => (Key: KeyText(p.Key, error), p.Value)).ToList();
                if (sortKeys) pairs = [.. pairs.OrderBy(p => p.Key, StringComparer.Ordinal)];
                sb.Append('{');
                for (var i = 0; i < pairs.Count; i++)
                {
                    if (i > 0) sb.Append(itemSeparator);
                    NewLine(sb, indent, level + 1);
                    WriteString(sb, pairs[i].Key);
                    sb.Append(keySeparator);
                    Write(sb, pairs[i].Value, indent, level + 1, itemSeparator, keySeparator, sortKeys, error);
                }
                NewLine(sb, indent, level);
                sb.Append('}');
                return;
            default:
                throw error($"Object of type {PyValue.TypeName(value)} is not JSON serializable");
        }
    }

    static string KeyText(object? key, Func<string, Exception> error) => key switch
    {
        string s => s,
        null => "null",
        bool b => b ? "true" : "false",
        long l => l.ToString(CultureInfo.InvariantCulture),
        double d => PyValue.FloatRepr(d),
        _ => throw error($"keys must be str, int, float, bool or None, not {PyValue.TypeName(key)}"),
    };

    static void NewLine(StringBuilder sb, string? indent, int level)
    {
        if (indent is null) return;
        sb.Append('\n');
        for (var i = 0; i < level; i++) sb.Append(indent);
    }

    static void WriteString(StringBuilder sb, string s)
    {
        sb.Append('"');
        foreach (var c in s)
        {
            switch (c)
            {
                case '"': sb.Append("\\\""); break;
                case '\\': sb.Append("\\\\"); break;
                case '\n': sb.Append("\\n"); break;
                case '\r': sb.Append("\\r"); break;
                case '\t': sb.Append("\\t"); break;
                case '\b': sb.Append("\\b"); break;
                case '\f': sb.Append("\\f"); break;
                case < ' ': sb.Append("\\u").Append(((int)c).ToString("x4", CultureInfo.InvariantCulture)); break;
                default: sb.Append(c); break;
            }
        }
        sb.Append('"');
    }
}
