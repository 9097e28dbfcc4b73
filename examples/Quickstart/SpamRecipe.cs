using LoraDsl.Architectures;
using LoraDsl.Dsl;
using LoraDsl.Recipes;

namespace Quickstart;

/// <summary>
/// Spam vs ham on SpamAssassin mails: all-MiniLM-L6-v2 (from NuGet) with LoRA r=8 on query and
/// value; the classification head (BERT's pooler + classifier) trained in full (PEFT's modules_to_save).
/// </summary>
[LoraRecipe("spam-minilm", typeof(Bert), KnownDepth = 6)]
public partial class SpamRecipe
{
    static void Configure(RecipeBuilder r) => r
        .Model(m => m.BuiltIn("all-MiniLM-L6-v2"))
        .Lora(l => l
            .Rank(8).Alpha(16).Dropout(0.1)
            .Target(ModuleRole.Query, ModuleRole.Value)
            // The sequence-classification head (pooler + classifier) trains in full, as PEFT's modules_to_save.
            .ModulesToSave("classifier", "bert.pooler.dense"))
        .Data(d => d
            .JsonLines(Path.Combine(AppContext.BaseDirectory, "data", "spam-assassin-subset.jsonl"))
            .Classification("text", "label")
            .MaxTokens(128)
            .ValidationFraction(0.2)
            .Seed(7))
        .Training(t => t
            .LearningRate(1e-3)
            .Epochs(3)
            .BatchSize(16)
            .EvalEvery(132)
            .Seed(7)
            .OutputDirectory("runs/spam-minilm"));
}
