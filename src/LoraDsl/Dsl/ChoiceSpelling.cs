// Linked into generators/LoraDsl.Generators: an enum constant in the DSL and its --set text are one mapping.
using System.Text;

namespace LoraDsl.Dsl;

/// <summary>
/// The <c>--set</c> text of an enum member used as a setting value: its snake_case name
/// (<c>LearningRateDecay.Cosine</c> → <c>cosine</c>, <c>LoraBias.LoraOnly</c> → <c>lora_only</c>), except where the
/// catalog's choice is shorter (<c>DataTask.CausalLanguageModeling</c> → <c>causal_lm</c>).
/// </summary>
internal static class ChoiceSpelling
{
    /// <summary>Enum members whose choice is not their snake_case name.</summary>
    private static readonly (string Member, string Choice)[] Exceptions =
    [
        ("CausalLanguageModeling", "causal_lm"),
        ("InstructionTuning", "instruction"),
        ("JsonLines", "jsonl"),
        ("PlainText", "text"),
    ];

    public static string Of(string member)
    {
        foreach (var (name, choice) in Exceptions)
            if (name == member) return choice;
        return SnakeCase(member);
    }

    public static string SnakeCase(string name)
    {
        var builder = new StringBuilder(name.Length + 4);
        for (var i = 0; i < name.Length; i++)
        {
            var c = name[i];
            if (char.IsUpper(c) && i > 0 && (char.IsLower(name[i - 1]) || char.IsDigit(name[i - 1]))) builder.Append('_');
            builder.Append(char.ToLowerInvariant(c));
        }
        return builder.ToString();
    }
}
