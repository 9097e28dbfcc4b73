using LoraDsl.Architectures;
using LoraDsl.Dsl;
using LoraDsl.Recipes;

namespace LoraDslConsole;

/// <summary>
/// Spam vs ham: all-MiniLM-L6-v2 (built in, from NuGet) with LoRA r=8 on the query and value
/// projections of every layer; the classification head trains in full (PEFT's modules_to_save).
/// </summary>
[LoraRecipe("spam-minilm", typeof(Bert), KnownDepth = 6)]
public partial class SpamRecipe
{
    static void Configure(RecipeBuilder r) => r
        .Model(m => m.BuiltIn("all-MiniLM-L6-v2"))
        .Lora(l => l
            .Rank(8).Alpha(16).Dropout(0.1)
            .Target(ModuleRole.Query, ModuleRole.Value))
        .Data(d => d
            .JsonLines(Path.Combine(AppContext.BaseDirectory, "data", "spam.jsonl"))
            .Classification("text", "label")
            .MaxTokens(128)
            .ValidationFraction(0.25)
            .Seed(7))
        .Training(t => t
            .LearningRate(1e-3)
            .Epochs(3)
            .BatchSize(8)
            .Seed(7)
            .OutputDirectory("runs/spam-minilm"));
}
