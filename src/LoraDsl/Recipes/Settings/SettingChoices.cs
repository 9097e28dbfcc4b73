using LoraDsl.Dsl;

namespace LoraDsl.Recipes.Settings;

/// <summary>Enum values as <c>--set</c> spells them: snake_case of the member name, or the catalog's choice list where it differs.</summary>
static class SettingChoices
{
    static readonly Dictionary<(Type, string), string> Spellings = new()
    {
        [(typeof(Data.DataFormat), nameof(Data.DataFormat.JsonLines))] = "jsonl",
        [(typeof(Data.DataFormat), nameof(Data.DataFormat.PlainText))] = "text",
        [(typeof(Data.DataTask), nameof(Data.DataTask.CausalLanguageModeling))] = "causal_lm",
        [(typeof(Data.DataTask), nameof(Data.DataTask.InstructionTuning))] = "instruction",
    };

    public static string Spell<T>(T value) where T : struct, Enum
    {
        var name = value.ToString();
        return Spellings.TryGetValue((typeof(T), name), out var spelled) ? spelled : SnakeCase(name);
    }

    public static T Parse<T>(string key, string value) where T : struct, Enum
    {
        foreach (var member in Enum.GetValues<T>())
            if (string.Equals(Spell(member), value, StringComparison.OrdinalIgnoreCase) || string.Equals(member.ToString(), value, StringComparison.OrdinalIgnoreCase))
                return member;
        var choices = string.Join(", ", Enum.GetValues<T>().Select(Spell));
        throw new RecipeValidationException($"Setting '{key}' is one of {choices}, got '{value}'.");
    }

    static string SnakeCase(string name)
    {
        var builder = new System.Text.StringBuilder(name.Length + 4);
        for (var i = 0; i < name.Length; i++)
        {
            if (char.IsUpper(name[i]) && i > 0) builder.Append('_');
            builder.Append(char.ToLowerInvariant(name[i]));
        }
        return builder.ToString();
    }
}
