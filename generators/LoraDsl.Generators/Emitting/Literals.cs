using System.Globalization;
using System.Text;

namespace LoraDsl.Generators.Emitting;

/// <summary>C# literals for emitted code.</summary>
public static class Literals
{
    public static string String(string value) => "\"" + Escape(value) + "\"";

    public static string Number(double value) => value.ToString("R", CultureInfo.InvariantCulture) is var text && (text.Contains(".") || text.Contains("E")) ? text : text + ".0";

    /// <summary>An interpolated string for a path template: "{layer}" becomes the loop variable, other braces stay text.</summary>
    public static string InterpolatedPath(string template, string layerVariable)
    {
        var builder = new StringBuilder("$\"");
        var parts = template.Split(new[] { "{layer}" }, System.StringSplitOptions.None);
        for (var i = 0; i < parts.Length; i++)
        {
            if (i > 0) builder.Append('{').Append(layerVariable).Append('}');
            builder.Append(Escape(parts[i]).Replace("{", "{{").Replace("}", "}}"));
        }
        return builder.Append('"').ToString();
    }

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
