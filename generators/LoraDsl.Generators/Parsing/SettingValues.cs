using System.Collections.Generic;
using System.Linq;

namespace LoraDsl.Generators.Parsing;

/// <summary>What a recipe's settings add up to: later statements win, as the builders apply them in order.</summary>
public static class SettingValues
{
    /// <summary>The last statement of <paramref name="key"/>, or null when the recipe leaves it at its default.</summary>
    public static SettingValue? Last(IEnumerable<SettingValue> settings, string key) => settings.LastOrDefault(s => s.Key == key);

    /// <summary>Whether the last statement of a boolean setting is the constant true.</summary>
    public static bool IsOn(IEnumerable<SettingValue> settings, string key) =>
        Last(settings, key)?.Text is { } text && bool.TryParse(text, out var on) && on;
}
