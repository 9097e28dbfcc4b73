using System.Collections.Generic;
using System.Collections.Immutable;
using System.Globalization;
using System.Linq;
using LoraDsl.Dsl;
using LoraDsl.Generators.Diagnostics;
using LoraDsl.Generators.Parsing;
using Microsoft.CodeAnalysis;

namespace LoraDsl.Generators.Validation;

/// <summary>
/// Checks each constant setting against its catalog entry (<see cref="RecipeSettingCatalog"/>), with the texts the
/// run-time check throws: unknown keys (LORA017), values that do not read as the setting's kind (LORA018), values
/// outside the allowed range (LORA003-005 for the LoRA numbers, LORA015 for the rest) and unusual values (LORA016).
/// </summary>
public static class SettingValidator
{
    public static IEnumerable<DiagnosticInfo> Validate(string recipeName, IReadOnlyList<SettingValue> settings)
    {
        foreach (var value in settings)
        {
            var setting = RecipeSettingCatalog.Find(value.Key);
            if (setting is null)
            {
                yield return Unknown(recipeName, value);
                continue;
            }
            if (value.Text is null) continue;
            if (Unreadable(setting, value.Text) is { } problem)
            {
                yield return new DiagnosticInfo(DiagnosticDescriptors.SettingValueUnreadable, value.Location, [problem]);
                continue;
            }
            if (value.Number is not { } number) continue;
            if (setting.Error(number) is { } error)
                yield return new DiagnosticInfo(OutOfRange(setting.Key), value.Location, [OutOfRange(setting.Key) == DiagnosticDescriptors.SettingOutOfRange ? error : SettingInfo.Format(number)]);
            else if (setting.Warning(number) is { } warning)
                yield return new DiagnosticInfo(DiagnosticDescriptors.SettingUnusual, value.Location, [warning]);
        }
    }

    // The LoRA numbers keep the ids they had before the catalog (their messages are the catalog's error formats).
    private static DiagnosticDescriptor OutOfRange(string key) => key switch
    {
        "lora.r" => DiagnosticDescriptors.RankNotPositive,
        "lora.alpha" => DiagnosticDescriptors.AlphaNotPositive,
        "lora.dropout" => DiagnosticDescriptors.DropoutOutOfRange,
        _ => DiagnosticDescriptors.SettingOutOfRange,
    };

    private static DiagnosticInfo Unknown(string recipeName, SettingValue value)
    {
        var keys = RecipeSettingCatalog.All.Select(s => s.Key).ToList();
        // Close to a key or an alias; the suggestion is the canonical key, as the run-time table says.
        var close = DslMessages.Closest(value.Key, RecipeSettingCatalog.All.SelectMany(s => s.Aliases.Prepend(s.Key)));
        var suggestion = close is null ? null : RecipeSettingCatalog.Find(close)?.Key;
        var properties = suggestion is null
            ? ImmutableDictionary<string, string?>.Empty
            : ImmutableDictionary<string, string?>.Empty.Add(RecipeValidator.SuggestionProperty, suggestion);
        return new DiagnosticInfo(DiagnosticDescriptors.UnknownSetting, value.KeyLocation ?? value.Location,
            [recipeName, value.Key, DslMessages.SettingSuggestion(suggestion), string.Join(", ", keys)]) { Properties = properties };
    }

    /// <summary>Why <paramref name="text"/> is not a value of the setting's kind, or null.</summary>
    internal static string? Unreadable(SettingInfo setting, string text)
    {
        switch (setting.Kind)
        {
            case SettingKind.Integer when text != "none" && !int.TryParse(text, NumberStyles.Integer, CultureInfo.InvariantCulture, out _):
                return Format(DslMessages.SettingNeedsInteger, setting.Key, text);
            case SettingKind.Number when text != "none" && SettingConstant.ParseNumber(text) is null:
                return Format(DslMessages.SettingNeedsNumber, setting.Key, text);
            case SettingKind.Boolean when !bool.TryParse(text, out _):
                return Format(DslMessages.SettingNeedsBoolean, setting.Key, text);
            case SettingKind.Choice when !setting.Choices.Contains(text):
                return Format(DslMessages.SettingNeedsChoice, setting.Key, string.Join(", ", setting.Choices), text);
            default:
                return null;
        }
    }

    private static string Format(string format, params object[] args) => string.Format(CultureInfo.InvariantCulture, format, args);
}
