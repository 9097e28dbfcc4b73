using System.Globalization;
using LoraDsl.Dsl;

namespace LoraDsl.Recipes.Settings;

/// <summary>Enum values as <c>--set</c> spells them, through the spelling the generator shares (<see cref="ChoiceSpelling"/>).</summary>
static class SettingChoices
{
    public static string Spell<T>(T value) where T : struct, Enum => ChoiceSpelling.Of(value.ToString());

    public static T Parse<T>(string key, string value) where T : struct, Enum
    {
        foreach (var member in Enum.GetValues<T>())
            if (string.Equals(Spell(member), value, StringComparison.OrdinalIgnoreCase) || string.Equals(member.ToString(), value, StringComparison.OrdinalIgnoreCase))
                return member;
        var choices = string.Join(", ", Enum.GetValues<T>().Select(Spell));
        throw new RecipeValidationException(string.Format(CultureInfo.InvariantCulture, DslMessages.SettingNeedsChoice, key, choices, value));
    }
}
