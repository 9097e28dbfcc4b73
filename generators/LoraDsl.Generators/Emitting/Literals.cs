using System.Globalization;
using System.Text;

namespace LoraDsl.Generators.Emitting;

/// <summary>C# literals for emitted code.</summary>
public static class Literals
{
    public static string String(string value) => "\"" + Escape(value) + "\"";

    public static string Number(double value) => value.ToString("R", CultureInfo.InvariantCulture) is var text && (text.Contains(".") || text.Contains("E")) ? text : text + ".0";

    private static string Escape(string value)
    {
        var builder = new StringBuilder(value.Length);
        foreach (var c in value)
        {
            switch (c)
            {
                case '\\': builder.Append("\\\\"); break;
                case '"': builder.Append("\\\""); break;
                case '\n': builder.Append("\\n"); break;
                case '\r': builder.Append("\\r"); break;
                case '\t': builder.Append("\\t"); break;
                default:
                    if (char.IsControl(c)) builder.Append("\\u").Append(((int)c).ToString("x4", CultureInfo.InvariantCulture));
                    else builder.Append(c);
                    break;
            }
        }
        return builder.ToString();
    }
}
