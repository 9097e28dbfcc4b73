using System.Text;

namespace LoraDsl.Templating.Jinja;

/// <summary>Arithmetic, concatenation, comparison and membership with Python's rules.</summary>
internal static class JinjaOperators
{
    public static object? Binary(string op, object? left, object? right, JinjaNode at)
    {
        JinjaException Error(string message) => new(message, at.Line, at.Column);
        switch (op)
        {
            case "~":
                return PyValue.Str(Defined(left, at)) + PyValue.Str(Defined(right, at));
            case "==": return PyValue.Equals(left, right);
            case "!=": return !PyValue.Equals(left, right);
            case "<": return PyValue.Compare(Defined(left, at), Defined(right, at), Error) < 0;
            case "<=": return PyValue.Compare(Defined(left, at), Defined(right, at), Error) <= 0;
            case ">": return PyValue.Compare(Defined(left, at), Defined(right, at), Error) > 0;
            case ">=": return PyValue.Compare(Defined(left, at), Defined(right, at), Error) >= 0;
            case "in": return Contains(right, left, at);
            case "not in": return !Contains(right, left, at);
        }
        left = Defined(left, at);
        right = Defined(right, at);
        if (PyValue.IsNumber(left) && PyValue.IsNumber(right))
        {
            var isFloat = left is double || right is double;
            if (!isFloat)
            {
                long a = PyValue.ToLong(left), b = PyValue.ToLong(right);
                switch (op)
                {
                    case "+": return a + b;
                    case "-": return a - b;
                    case "*": return a * b;
                    case "/": return b == 0 ? throw Error("division by zero") : (double)a / b;
                    case "//": return b == 0 ? throw Error("integer division or modulo by zero") : FloorDiv(a, b);
                    case "%": return b == 0 ? throw Error("integer division or modulo by zero") : ((a % b) + b) % b;
                    case "**": return b >= 0 ? (object)(long)Math.Pow(a, b) : Math.Pow(a, b);
                }
            }
            double x = PyValue.ToDouble(left), y = PyValue.ToDouble(right);
            switch (op)
            {
                case "+": return x + y;
                case "-": return x - y;
                case "*": return x * y;
                case "/": return y == 0 ? throw Error("float division by zero") : x / y;
                case "//": return y == 0 ? throw Error("float floor division by zero") : Math.Floor(x / y);
                case "%": return y == 0 ? throw Error("float modulo") : x - y * Math.Floor(x / y);
                case "**": return Math.Pow(x, y);
            }
        }
        switch (op)
        {
            case "+" when left is string a && right is string b: return a + b;
            case "+" when left is List<object?> a && right is List<object?> b: return a.Concat(b).ToList();
            case "+" when left is JinjaTuple a && right is JinjaTuple b: return new JinjaTuple(a.Items.Concat(b.Items).ToList());
            case "*" when left is string s && right is long or bool: return Repeat(s, PyValue.ToLong(right));
            case "*" when right is string s && left is long or bool: return Repeat(s, PyValue.ToLong(left));
            case "*" when left is List<object?> l && right is long or bool: return Enumerable.Repeat(l, (int)Math.Max(0, PyValue.ToLong(right))).SelectMany(x => x).ToList();
            case "%" when left is string format: return PercentFormat(format, right, at);
        }
        var symbol = op == "//" ? "//" : op;
        throw Error($"unsupported operand type(s) for {symbol}: '{PyValue.TypeName(left)}' and '{PyValue.TypeName(right)}'");
    }

    static long FloorDiv(long a, long b)
    {
        var q = a / b;
        return (a % b != 0 && (a < 0) != (b < 0)) ? q - 1 : q;
    }

    static string Repeat(string s, long n) => n <= 0 ? "" : new StringBuilder(s.Length * (int)n).Insert(0, s, (int)n).ToString();

    static object? Defined(object? v, JinjaNode at) => v is Undefined u ? throw new JinjaException(u.Hint, at.Line, at.Column) : v;

    public static bool Contains(object? container, object? item, JinjaNode at) => container switch
    {
        string s when item is string sub => s.Contains(sub, StringComparison.Ordinal),
        string => throw new JinjaException($"'in <string>' requires string as left operand, not {PyValue.TypeName(item)}", at.Line, at.Column),
        List<object?> or JinjaTuple => PyValue.Sequence(container)!.Any(x => PyValue.Equals(x, item)),
        JinjaDict d => d.ContainsKey(item),
        Undefined => false,
        _ => throw new JinjaException($"argument of type '{PyValue.TypeName(container)}' is not iterable", at.Line, at.Column),
    };

    public static object? Negate(object? v, JinjaNode at) => Defined(v, at) switch
    {
        long l => (object)(-l),
        bool b => b ? -1L : 0L,
        double d => -d,
        var other => throw new JinjaException($"bad operand type for unary -: '{PyValue.TypeName(other)}'", at.Line, at.Column),
    };

    public static object? Plus(object? v, JinjaNode at) => Defined(v, at) switch
    {
        long or double => v,
        bool b => b ? 1L : 0L,
        var other => throw new JinjaException($"bad operand type for unary +: '{PyValue.TypeName(other)}'", at.Line, at.Column),
    };

    /// <summary>printf-style "%s" % value, for the conversions templates use (s, r, d, i, f, %).</summary>
    public static string PercentFormat(string format, object? values, JinjaNode at)
    {
        var args = values is JinjaTuple t ? t.Items.ToList() : [values];
        var sb = new StringBuilder();
        var next = 0;
        for (var i = 0; i < format.Length; i++)
        {
            var c = format[i];
            if (c != '%') { sb.Append(c); continue; }
            if (++i >= format.Length) throw new JinjaException("incomplete format", at.Line, at.Column);
            var spec = new StringBuilder();
            while (i < format.Length && "0123456789.-+ #".Contains(format[i])) spec.Append(format[i++]);
            if (i >= format.Length) throw new JinjaException("incomplete format", at.Line, at.Column);
            var conversion = format[i];
            if (conversion == '%') { sb.Append('%'); continue; }
            if (next >= args.Count) throw new JinjaException("not enough arguments for format string", at.Line, at.Column);
            var arg = args[next++];
            var precision = spec.ToString().Split('.') is { Length: 2 } parts && int.TryParse(parts[1], out var p) ? p : 6;
            sb.Append(conversion switch
            {
                's' => PyValue.Str(arg),
                'r' => PyValue.Repr(arg),
                'd' or 'i' => PyValue.ToLong(arg).ToString(System.Globalization.CultureInfo.InvariantCulture),
                'f' or 'F' => PyValue.ToDouble(arg).ToString("F" + precision, System.Globalization.CultureInfo.InvariantCulture),
                _ => throw new JinjaException($"unsupported format character '{conversion}'", at.Line, at.Column),
            });
        }
        if (next < args.Count && values is JinjaTuple) throw new JinjaException("not all arguments converted during string formatting", at.Line, at.Column);
        return sb.ToString();
    }
}
