using System.Globalization;
using System.Text;

namespace LoraDsl.Templating.Jinja;

/// <summary>
/// Python's semantics for template values (None = null, bool, long, double, string, List, dictionary,
/// tuple): truthiness, equality, ordering, str() and repr(), as Jinja2 inherits them.
/// </summary>
internal static class PyValue
{
    public static bool IsTrue(object? v) => v switch
    {
        null or Undefined => false,
        bool b => b,
        long l => l != 0,
        double d => d != 0,
        string s => s.Length > 0,
        List<object?> l => l.Count > 0,
        JinjaTuple t => t.Items.Count > 0,
        JinjaDict d => d.Count > 0,
        _ => true,
    };

    public static bool IsNumber(object? v) => v is long or double or bool;

    public static double ToDouble(object? v) => v switch { long l => l, double d => d, bool b => b ? 1 : 0, _ => double.NaN };

    public static new bool Equals(object? a, object? b)
    {
        if (a is null || b is null) return a is null && b is null;
        if (a is Undefined || b is Undefined) return a is Undefined && b is Undefined;
        if (IsNumber(a) && IsNumber(b))
        {
            if (a is double || b is double) return ToDouble(a) == ToDouble(b);
            return ToLong(a) == ToLong(b);
        }
        if (a is string sa && b is string sb) return string.Equals(sa, sb, StringComparison.Ordinal);
        if (Sequence(a) is { } la && Sequence(b) is { } lb && (a is JinjaTuple) == (b is JinjaTuple))
        {
            if (la.Count != lb.Count) return false;
            for (var i = 0; i < la.Count; i++) if (!Equals(la[i], lb[i])) return false;
            return true;
        }
        if (a is JinjaDict da && b is JinjaDict db)
        {
            if (da.Count != db.Count) return false;
            foreach (var (k, v) in da.Pairs) if (!db.TryGet(k, out var w) || !Equals(v, w)) return false;
            return true;
        }
        return ReferenceEquals(a, b);
    }

    public static int HashCode(object? v) => v switch
    {
        null => 0,
        bool b => b ? 1 : 0,
        long l => l.GetHashCode(),
        double d => d == Math.Floor(d) && Math.Abs(d) < 9e18 ? ((long)d).GetHashCode() : d.GetHashCode(),
        string s => StringComparer.Ordinal.GetHashCode(s),
        JinjaTuple t => t.Items.Aggregate(17, (h, x) => h * 31 + HashCode(x)),
        _ => v.GetHashCode(),
    };

    public static long ToLong(object? v) => v switch { long l => l, bool b => b ? 1 : 0, double d => (long)d, _ => 0 };

    /// <summary>Python's ordering (&lt;): numbers with numbers, strings by code point, sequences item by item.</summary>
    public static int Compare(object? a, object? b, Func<string, Exception> error)
    {
        if (IsNumber(a) && IsNumber(b))
            return a is double || b is double ? ToDouble(a).CompareTo(ToDouble(b)) : ToLong(a).CompareTo(ToLong(b));
        if (a is string sa && b is string sb) return string.CompareOrdinal(sa, sb) switch { < 0 => -1, > 0 => 1, _ => 0 };
        if (Sequence(a) is { } la && Sequence(b) is { } lb)
        {
            for (var i = 0; i < Math.Min(la.Count, lb.Count); i++)
            {
                if (Equals(la[i], lb[i])) continue;
                return Compare(la[i], lb[i], error);
            }
            return la.Count.CompareTo(lb.Count);
        }
        throw error($"'<' not supported between instances of '{TypeName(a)}' and '{TypeName(b)}'");
    }

    public static IReadOnlyList<object?>? Sequence(object? v) => v switch
    {
        List<object?> l => l,
        JinjaTuple t => t.Items,
        _ => null,
    };

    public static string TypeName(object? v) => v switch
    {
        null => "NoneType",
        Undefined => "Undefined",
        bool => "bool",
        long => "int",
        double => "float",
        string => "str",
        List<object?> => "list",
        JinjaTuple => "tuple",
        JinjaDict => "dict",
        JinjaNamespace => "Namespace",
        LoopContext => "LoopContext",
        JinjaCallable => "function",
        _ => v.GetType().Name,
    };

    /// <summary>str(v): what {{ v }} prints.</summary>
    public static string Str(object? v) => v switch
    {
        string s => s,
        Undefined => "",
        _ => Repr(v),
    };

    /// <summary>repr(v): how a value prints inside a list or dict.</summary>
    public static string Repr(object? v)
    {
        var sb = new StringBuilder();
        AppendRepr(sb, v);
        return sb.ToString();
    }

    static void AppendRepr(StringBuilder sb, object? v)
    {
        switch (v)
        {
            case null: sb.Append("None"); break;
            case Undefined: break;
            case bool b: sb.Append(b ? "True" : "False"); break;
            case long l: sb.Append(l.ToString(CultureInfo.InvariantCulture)); break;
            case double d: sb.Append(FloatRepr(d)); break;
            case string s: AppendStringRepr(sb, s); break;
            case List<object?> list:
                sb.Append('[');
                for (var i = 0; i < list.Count; i++) { if (i > 0) sb.Append(", "); AppendRepr(sb, list[i]); }
                sb.Append(']');
                break;
            case JinjaTuple t:
                sb.Append('(');
                for (var i = 0; i < t.Items.Count; i++) { if (i > 0) sb.Append(", "); AppendRepr(sb, t.Items[i]); }
                if (t.Items.Count == 1) sb.Append(',');
                sb.Append(')');
                break;
            case JinjaDict d:
                sb.Append('{');
                var first = true;
                foreach (var (k, x) in d.Pairs)
                {
                    if (!first) sb.Append(", ");
                    first = false;
                    AppendRepr(sb, k);
                    sb.Append(": ");
                    AppendRepr(sb, x);
                }
                sb.Append('}');
                break;
            case JinjaNamespace ns:
                sb.Append("<Namespace ").Append(string.Join(", ", ns.Attributes.Select(a => $"{a.Key}={Repr(a.Value)}"))).Append('>');
                break;
            case JinjaCallable c: sb.Append("<function ").Append(c.Name).Append('>'); break;
            default: sb.Append(v); break;
        }
    }

    static void AppendStringRepr(StringBuilder sb, string s)
    {
        var quote = s.Contains('\'') && !s.Contains('"') ? '"' : '\'';
        sb.Append(quote);
        foreach (var rune in s.EnumerateRunes())
        {
            var c = rune.Value;
            if (c == quote || c == '\\') sb.Append('\\').Append((char)c);
            else if (c == '\n') sb.Append("\\n");
            else if (c == '\r') sb.Append("\\r");
            else if (c == '\t') sb.Append("\\t");
            else if (c < 0x20 || c == 0x7f) sb.Append("\\x").Append(c.ToString("x2", CultureInfo.InvariantCulture));
            else if (c >= 0x80 && !IsPrintable(rune))
                sb.Append(c <= 0xff ? $"\\x{c:x2}" : c <= 0xffff ? $"\\u{c:x4}" : $"\\U{c:x8}");
            else sb.Append(rune.ToString());
        }
        sb.Append(quote);
    }

    // Python's str.isprintable: everything but separators other than ' ' and the "other" categories.
    static bool IsPrintable(Rune r) => Rune.GetUnicodeCategory(r) switch
    {
        UnicodeCategory.Control or UnicodeCategory.Format or UnicodeCategory.Surrogate or UnicodeCategory.PrivateUse
            or UnicodeCategory.OtherNotAssigned or UnicodeCategory.LineSeparator or UnicodeCategory.ParagraphSeparator => false,
        UnicodeCategory.SpaceSeparator => r.Value == ' ',
        _ => true,
    };

    /// <summary>Python's repr(float): the shortest round-trip digits, exponent form below 1e-4 and from 1e16.</summary>
    public static string FloatRepr(double d)
    {
        if (double.IsNaN(d)) return "nan";
        if (double.IsPositiveInfinity(d)) return "inf";
        if (double.IsNegativeInfinity(d)) return "-inf";
        if (d == 0) return double.IsNegative(d) ? "-0.0" : "0.0";
        // Shortest round-trip digits and decimal exponent.
        var shortest = d.ToString("R", CultureInfo.InvariantCulture);
        var negative = shortest.StartsWith('-');
        if (negative) shortest = shortest[1..];
        string digits;
        int exponent;
        var ePos = shortest.IndexOfAny(['E', 'e']);
        var mantissa = ePos >= 0 ? shortest[..ePos] : shortest;
        var exp10 = ePos >= 0 ? int.Parse(shortest[(ePos + 1)..], CultureInfo.InvariantCulture) : 0;
        var dot = mantissa.IndexOf('.');
        var intPart = dot >= 0 ? mantissa[..dot] : mantissa;
        var fracPart = dot >= 0 ? mantissa[(dot + 1)..] : "";
        digits = (intPart + fracPart).TrimStart('0');
        var leadingZeros = (intPart + fracPart).Length - digits.Length;
        // Value = 0.digits * 10^exponent
        exponent = intPart.Length + exp10 - leadingZeros;
        digits = digits.TrimEnd('0');
        if (digits.Length == 0) digits = "0";
        var decimalExponent = exponent - 1; // scientific exponent
        var sb = new StringBuilder();
        if (negative) sb.Append('-');
        if (decimalExponent < -4 || decimalExponent >= 16)
        {
            sb.Append(digits[0]);
            if (digits.Length > 1) sb.Append('.').Append(digits, 1, digits.Length - 1);
            sb.Append('e').Append(decimalExponent < 0 ? '-' : '+').Append(Math.Abs(decimalExponent).ToString("00", CultureInfo.InvariantCulture));
        }
        else if (exponent <= 0)
        {
            sb.Append("0.").Append('0', -exponent).Append(digits);
        }
        else if (exponent >= digits.Length)
        {
            sb.Append(digits).Append('0', exponent - digits.Length).Append(".0");
        }
        else
        {
            sb.Append(digits, 0, exponent).Append('.').Append(digits, exponent, digits.Length - exponent);
        }
        return sb.ToString();
    }

    /// <summary>Python's str.isspace for one character (includes the separators \x1c-\x1f).</summary>
    public static bool IsSpace(char c) => char.IsWhiteSpace(c) || c is >= '\x1c' and <= '\x1f';

    public static string Strip(string s, string? chars, bool left, bool right)
    {
        Func<char, bool> strip = chars is null ? IsSpace : chars.Contains;
        var start = 0;
        var end = s.Length;
        if (left) while (start < end && strip(s[start])) start++;
        if (right) while (end > start && strip(s[end - 1])) end--;
        return s[start..end];
    }
}
