using LoraDsl.Generators.Parsing;

namespace LoraDsl.Generators.Emitting;

/// <summary>
/// Which parts the generated loop needs, from the constants a recipe states: gradient accumulation, evaluation,
/// NEFTune, LoRA+, AdaLoRA and a starting adapter. A value the generator cannot see keeps the general code for accumulation and
/// evaluation; the opt-in methods appear only where the recipe mentions them.
/// </summary>
public sealed record RecipeShape(bool Accumulates, bool Evaluates, bool Neftune, bool LoraPlus, bool AdaLora, bool Starts)
{
    public static RecipeShape Of(RecipeModel recipe) => new(
        Accumulates: !Is(recipe, "training.grad_accum", "1", unset: true),
        Evaluates: !Is(recipe, "data.validation_fraction", "0", unset: false),
        Neftune: Mentions(recipe, "training.neftune_alpha") && !Is(recipe, "training.neftune_alpha", "none", unset: false),
        LoraPlus: Mentions(recipe, "training.loraplus_ratio") && !Is(recipe, "training.loraplus_ratio", "none", unset: false),
        AdaLora: Mentions(recipe, "lora.use_adalora") && !Is(recipe, "lora.use_adalora", "false", unset: false),
        Starts: Mentions(recipe, "start.adapters") && !Is(recipe, "start.adapters", "none", unset: false));

    /// <summary>Whether the recipe's last statement of <paramref name="key"/> is the constant <paramref name="text"/>; <paramref name="unset"/> when it never states it.</summary>
    private static bool Is(RecipeModel recipe, string key, string text, bool unset) =>
        Last(recipe, key) is { } value ? value.Text == text : unset;

    private static bool Mentions(RecipeModel recipe, string key) => Last(recipe, key) is not null;

    private static SettingValue? Last(RecipeModel recipe, string key) => SettingValues.Last(recipe.Settings, key);
}
