using System.Collections.Generic;
using System.Globalization;
using System.Linq;
using LoraDsl.Dsl;
using Microsoft.CodeAnalysis;

namespace LoraDsl.Generators.Parsing;

/// <summary>
/// A compile-time constant written the way <c>--set</c> takes it: numbers in the invariant culture ("R"),
/// booleans "true"/"false", enum members as their choice name, string lists comma-joined.
/// </summary>
public readonly struct SettingConstant(string? text, double? number)
{
    /// <summary>The text, or null when the value is not a constant.</summary>
    public string? Text { get; } = text;

    public double? Number { get; } = number;

    public static SettingConstant Unknown { get; } = new(null, null);

    /// <summary>A constant's value; <paramref name="type"/> tells enums apart from their underlying integer.</summary>
    internal static SettingConstant Of(object? value, ITypeSymbol? type, SettingKind? kind)
    {
        if (type is INamedTypeSymbol { TypeKind: TypeKind.Enum } enumType && value is not null)
            return new(AttributeArguments.MemberName(enumType, value) is { } member ? ChoiceSpelling.Of(member) : null, null);
        return value switch
        {
            null => kind is SettingKind.Number or SettingKind.Integer ? new("none", null) : Unknown,
            bool b => new(b ? "true" : "false", null),
            string s => new(s, kind is SettingKind.Number or SettingKind.Integer ? ParseNumber(s) : null),
            int i => new(i.ToString(CultureInfo.InvariantCulture), i),
            long l => new(l.ToString(CultureInfo.InvariantCulture), l),
            short s => new(s.ToString(CultureInfo.InvariantCulture), s),
            byte b => new(b.ToString(CultureInfo.InvariantCulture), b),
            float f => new(f.ToString("R", CultureInfo.InvariantCulture), double.Parse(f.ToString("R", CultureInfo.InvariantCulture), CultureInfo.InvariantCulture)),
            double d => new(d.ToString("R", CultureInfo.InvariantCulture), d),
            decimal m => new(m.ToString(CultureInfo.InvariantCulture), (double)m),
            _ => Unknown,
        };
    }

    /// <summary>An attribute argument (a single value or an array of strings).</summary>
    internal static SettingConstant Of(TypedConstant constant, SettingKind? kind)
    {
        if (constant.Kind == TypedConstantKind.Error) return Unknown;
        if (constant.Kind == TypedConstantKind.Array)
            return constant.IsNull ? Unknown : Join(constant.Values.Select(v => Of(v, kind)).ToList());
        return Of(constant.Value, constant.Type, kind);
    }

    /// <summary>A list setting from several constants: comma-joined, unknown if any part is.</summary>
    public static SettingConstant Join(IReadOnlyList<SettingConstant> parts) =>
        parts.Any(p => p.Text is null) ? Unknown : new(string.Join(",", parts.Select(p => p.Text)), null);

    /// <summary>A number as <c>--set</c> reads it (invariant culture), or null.</summary>
    public static double? ParseNumber(string text) =>
        double.TryParse(text, NumberStyles.Float, CultureInfo.InvariantCulture, out var number) ? number : null;
}
