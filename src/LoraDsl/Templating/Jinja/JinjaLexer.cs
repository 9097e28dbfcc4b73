using System.Globalization;
using System.Text;

namespace LoraDsl.Templating.Jinja;

/// <summary>
/// Splits a template into data and tag tokens as Jinja2's lexer does with trim_blocks and lstrip_blocks:
/// `{%-`/`-%}` strip all whitespace on that side, `+` keeps it, a block or comment tag alone on its line
/// takes its indentation with it, and the newline after `%}` or `#}` is dropped.
/// </summary>
internal sealed class JinjaLexer
{
    static readonly string[] Operators =
        ["//", "**", "==", "!=", "<=", ">=", "+", "-", "*", "/", "%", "~", "<", ">", "=", "(", ")", "[", "]", "{", "}", ".", ",", ":", "|", ";"];

    readonly string source;
    readonly List<JinjaToken> tokens = [];
    readonly int[] lineStarts;
    int pos;

    JinjaLexer(string source)
    {
        this.source = source;
        var starts = new List<int> { 0 };
        for (var i = 0; i < source.Length; i++) if (source[i] == '\n') starts.Add(i + 1);
        lineStarts = [.. starts];
    }

    /// <summary>Jinja2 normalises newlines to \n and drops one trailing newline (keep_trailing_newline=False).</summary>
    public static string Normalize(string template)
    {
        var text = template.Replace("\r\n", "\n").Replace('\r', '\n');
        return text.EndsWith('\n') ? text[..^1] : text;
    }

    public static List<JinjaToken> Tokenize(string normalizedSource)
    {
        var lexer = new JinjaLexer(normalizedSource);
        lexer.Run();
        return lexer.tokens;
    }

    (int Line, int Column) Position(int offset)
    {
        var line = Array.BinarySearch(lineStarts, offset);
        if (line < 0) line = ~line - 1;
        return (line + 1, offset - lineStarts[line] + 1);
    }

    JinjaException Error(string message, int offset)
    {
        var (line, column) = Position(offset);
        return new JinjaException(message, line, column);
    }

    void Add(JinjaTokenKind kind, string text, object? value, int offset)
    {
        var (line, column) = Position(offset);
        tokens.Add(new JinjaToken(kind, text, value, line, column));
    }

    void Run()
    {
        while (pos < source.Length)
        {
            var dataStart = pos;
            var tag = FindTagStart(pos);
            var text = source[dataStart..(tag < 0 ? source.Length : tag)];
            if (tag < 0)
            {
                if (text.Length > 0) Add(JinjaTokenKind.Data, text, text, dataStart);
                pos = source.Length;
                break;
            }
            var kind = source[tag + 1];
            var sign = tag + 2 < source.Length && source[tag + 2] is '-' or '+' ? source[tag + 2] : '\0';
            if (sign == '-') text = PyValue.Strip(text, null, left: false, right: true);
            else if (sign != '+' && kind != '{')
            {
                // lstrip_blocks: a block or comment tag preceded on its line by whitespace only takes that whitespace.
                var lineStart = text.LastIndexOf('\n') + 1;
                var lineStarting = dataStart == 0 || source[dataStart - 1] == '\n';
                if ((lineStart > 0 || lineStarting) && lineStart < text.Length && text.AsSpan(lineStart).IndexOfAnyExcept(" \t\f\v\r") < 0)
                    text = text[..lineStart];
            }
            if (text.Length > 0) Add(JinjaTokenKind.Data, text, text, dataStart);
            pos = tag + 2 + (sign != '\0' ? 1 : 0);
            switch (kind)
            {
                case '#': LexComment(tag); break;
                case '{': Add(JinjaTokenKind.VariableBegin, "{{", null, tag); LexTag(tag, '}', JinjaTokenKind.VariableEnd); break;
                default:
                    Add(JinjaTokenKind.BlockBegin, "{%", null, tag);
                    if (!LexRaw(tag)) LexTag(tag, '%', JinjaTokenKind.BlockEnd);
                    break;
            }
        }
        Add(JinjaTokenKind.End, "", null, source.Length);
    }

    int FindTagStart(int from)
    {
        for (var i = source.IndexOf('{', from); i >= 0 && i + 1 < source.Length; i = source.IndexOf('{', i + 1))
            if (source[i + 1] is '{' or '%' or '#') return i;
        return -1;
    }

    void LexComment(int tag)
    {
        var end = source.IndexOf("#}", pos, StringComparison.Ordinal);
        if (end < 0) throw Error("Missing end of comment tag", tag);
        var sign = end > pos && source[end - 1] is '-' or '+' ? source[end - 1] : '\0';
        pos = end + 2;
        SkipAfterEnd(sign, trimNewline: true);
    }

    // {% raw %}...{% endraw %}: the text between is data, untouched.
    bool LexRaw(int tag)
    {
        var i = pos;
        while (i < source.Length && char.IsWhiteSpace(source[i])) i++;
        if (string.CompareOrdinal(source, i, "raw", 0, 3) != 0) return false;
        i += 3;
        while (i < source.Length && char.IsWhiteSpace(source[i])) i++;
        var sign = i < source.Length && source[i] is '-' or '+' ? source[i] : '\0';
        if (sign != '\0') i++;
        if (string.CompareOrdinal(source, i, "%}", 0, 2) != 0) return false;
        pos = i + 2;
        SkipAfterEnd(sign, trimNewline: true);
        var bodyStart = pos;
        for (var j = source.IndexOf("{%", pos, StringComparison.Ordinal); j >= 0; j = source.IndexOf("{%", j + 2, StringComparison.Ordinal))
        {
            var k = j + 2;
            var openSign = k < source.Length && source[k] is '-' or '+' ? source[k] : '\0';
            if (openSign != '\0') k++;
            while (k < source.Length && char.IsWhiteSpace(source[k])) k++;
            if (string.CompareOrdinal(source, k, "endraw", 0, 6) != 0) continue;
            k += 6;
            while (k < source.Length && char.IsWhiteSpace(source[k])) k++;
            var closeSign = k < source.Length && source[k] is '-' or '+' ? source[k] : '\0';
            if (closeSign != '\0') k++;
            if (string.CompareOrdinal(source, k, "%}", 0, 2) != 0) continue;
            var body = source[bodyStart..j];
            if (openSign == '-') body = PyValue.Strip(body, null, left: false, right: true);
            tokens.RemoveAt(tokens.Count - 1);
            if (body.Length > 0) Add(JinjaTokenKind.Data, body, body, bodyStart);
            pos = k + 2;
            SkipAfterEnd(closeSign, trimNewline: true);
            return true;
        }
        throw Error("Missing end of raw directive", tag);
    }

    void SkipAfterEnd(char sign, bool trimNewline)
    {
        if (sign == '-') while (pos < source.Length && PyValue.IsSpace(source[pos])) pos++;
        else if (sign != '+' && trimNewline && pos < source.Length && source[pos] == '\n') pos++;
    }

    void LexTag(int tag, char closer, JinjaTokenKind endKind)
    {
        var depth = 0;
        while (true)
        {
            while (pos < source.Length && char.IsWhiteSpace(source[pos]) && !(depth == 0 && IsEnd(pos, closer))) pos++;
            if (pos >= source.Length) throw Error($"unexpected end of template, expected end of {(closer == '}' ? "print statement" : "block")}", tag);
            if (depth == 0 && IsEnd(pos, closer, out var length, out var sign))
            {
                Add(endKind, closer == '}' ? "}}" : "%}", null, pos);
                pos += length;
                SkipAfterEnd(sign, trimNewline: closer == '%');
                return;
            }
            var c = source[pos];
            var start = pos;
            if (char.IsAsciiLetter(c) || c == '_')
            {
                while (pos < source.Length && (char.IsAsciiLetterOrDigit(source[pos]) || source[pos] == '_')) pos++;
                Add(JinjaTokenKind.Name, source[start..pos], null, start);
            }
            else if (char.IsAsciiDigit(c)) LexNumber();
            else if (c is '\'' or '"') LexString();
            else
            {
                var op = Operators.FirstOrDefault(o => string.CompareOrdinal(source, pos, o, 0, o.Length) == 0)
                    ?? throw Error($"unexpected char '{c}'", pos);
                if (op is "(" or "[" or "{") depth++;
                else if (op is ")" or "]" or "}") depth = Math.Max(0, depth - 1);
                Add(JinjaTokenKind.Operator, op, null, pos);
                pos += op.Length;
            }
        }
    }

    bool IsEnd(int at, char closer) => IsEnd(at, closer, out _, out _);

    bool IsEnd(int at, char closer, out int length, out char sign)
    {
        sign = '\0';
        length = 0;
        if (at < source.Length && source[at] is '-' or '+' && at + 2 < source.Length + 0 && source[at + 1] == closer && at + 2 < source.Length && source[at + 2] == '}')
        {
            sign = source[at];
            length = 3;
            return true;
        }
        if (at + 1 < source.Length && source[at] == closer && source[at + 1] == '}')
        {
            length = 2;
            return true;
        }
        return false;
    }

    void LexNumber()
    {
        var start = pos;
        while (pos < source.Length && (char.IsAsciiDigit(source[pos]) || source[pos] == '_')) pos++;
        var isFloat = false;
        if (pos + 1 < source.Length && source[pos] == '.' && char.IsAsciiDigit(source[pos + 1]))
        {
            isFloat = true;
            pos++;
            while (pos < source.Length && (char.IsAsciiDigit(source[pos]) || source[pos] == '_')) pos++;
        }
        if (pos < source.Length && source[pos] is 'e' or 'E')
        {
            var save = pos;
            pos++;
            if (pos < source.Length && source[pos] is '+' or '-') pos++;
            if (pos < source.Length && char.IsAsciiDigit(source[pos]))
            {
                isFloat = true;
                while (pos < source.Length && char.IsAsciiDigit(source[pos])) pos++;
            }
            else pos = save;
        }
        var text = source[start..pos].Replace("_", "");
        if (isFloat) Add(JinjaTokenKind.Float, source[start..pos], double.Parse(text, CultureInfo.InvariantCulture), start);
        else Add(JinjaTokenKind.Integer, source[start..pos], long.Parse(text, CultureInfo.InvariantCulture), start);
    }

    // Python string literal escapes, as Jinja2 decodes them (unicode-escape).
    void LexString()
    {
        var start = pos;
        var quote = source[pos++];
        var sb = new StringBuilder();
        while (true)
        {
            if (pos >= source.Length) throw Error("unexpected end of string", start);
            var c = source[pos++];
            if (c == quote) break;
            if (c != '\\') { sb.Append(c); continue; }
            if (pos >= source.Length) throw Error("unexpected end of string", start);
            var e = source[pos++];
            switch (e)
            {
                case 'n': sb.Append('\n'); break;
                case 't': sb.Append('\t'); break;
                case 'r': sb.Append('\r'); break;
                case '\\': sb.Append('\\'); break;
                case '\'': sb.Append('\''); break;
                case '"': sb.Append('"'); break;
                case 'a': sb.Append('\a'); break;
                case 'b': sb.Append('\b'); break;
                case 'f': sb.Append('\f'); break;
                case 'v': sb.Append('\v'); break;
                case '\n': break;
                case 'x': sb.Append(Hex(2, start)); break;
                case 'u': sb.Append(Hex(4, start)); break;
                case 'U': sb.Append(Hex(8, start)); break;
                case >= '0' and <= '7':
                    var value = e - '0';
                    for (var n = 0; n < 2 && pos < source.Length && source[pos] is >= '0' and <= '7'; n++) value = value * 8 + (source[pos++] - '0');
                    sb.Append((char)value);
                    break;
                default: sb.Append('\\').Append(e); break;
            }
        }
        Add(JinjaTokenKind.String, source[start..pos], sb.ToString(), start);
    }

    string Hex(int digits, int start)
    {
        if (pos + digits > source.Length || !int.TryParse(source.AsSpan(pos, digits), NumberStyles.HexNumber, CultureInfo.InvariantCulture, out var code))
            throw Error("truncated \\x, \\u or \\U escape in string", start);
        pos += digits;
        return char.ConvertFromUtf32(code);
    }
}
