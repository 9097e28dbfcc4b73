using LoraDsl.Architectures;
using LoraDsl.Dsl;
using LoraDsl.Recipes;

namespace Gpt2Sotu;

/// <summary>
/// Moves a small GPT-2 that has only read Moby Dick toward State of the Union prose: LoRA on the
/// attention (fused c_attn: Query+Key+Value, and its output projection), causal LM on 1989-2021
/// addresses, perplexity on held-out addresses before and after.
/// </summary>
[LoraRecipe("sotu-gpt2", typeof(Gpt2), KnownDepth = 4)]
public partial class SotuRecipe
{
    static void Configure(RecipeBuilder r) => r
        .Model(m => m.FromDirectory(BaseModel.Directory))
        .Lora(l => l.Rank(16).Alpha(32).Dropout(0.05).Preset(Preset.QKVO))
        .Data(d => d
            .JsonLines(Path.Combine(AppContext.BaseDirectory, "data", "sotu-1989-2021.jsonl"))
            .CausalLanguageModeling("text")
            .MaxTokens(128)
            .ValidationFraction(0.15)
            .Seed(3))
        .Training(t => t
            .LearningRate(1e-3)
            .MaxSteps(60)
            .BatchSize(4)
            .EvalEvery(30)
            .Seed(3)
            .OutputDirectory("runs/sotu-gpt2"));
}
