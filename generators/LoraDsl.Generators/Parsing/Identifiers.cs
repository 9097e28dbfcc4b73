using System.Text;

namespace LoraDsl.Generators.Parsing;

/// <summary>C# names derived from DSL names, shared by the emitter and the fluent parser.</summary>
public static class Identifiers
{
    public static string ToPascalCase(string name)
    {
        var builder = new StringBuilder(name.Length);
        var upper = true;
        foreach (var c in name)
        {
            if (!char.IsLetterOrDigit(c))
            {
                upper = true;
                continue;
            }
            builder.Append(upper ? char.ToUpperInvariant(c) : c);
            upper = false;
        }
        if (builder.Length == 0 || char.IsDigit(builder[0])) builder.Insert(0, "Module");
        return builder.ToString();
    }

    public static string ToCamelCase(string name)
    {
        var pascal = ToPascalCase(name);
        return char.ToLowerInvariant(pascal[0]) + pascal.Substring(1);
    }
}
