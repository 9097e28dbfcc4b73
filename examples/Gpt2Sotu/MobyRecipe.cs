using LoraDsl.Architectures;
using LoraDsl.Dsl;
using LoraDsl.Recipes;

namespace Gpt2Sotu;

/// <summary>
/// The second adapter of the two-adapter run: the same LoRA as <see cref="SotuRecipe"/> (r=16 on c_attn and
/// attn.c_proj), trained on Moby Dick with the base's own split (5 % of the paragraphs held out, seed 11),
/// so its held-out paragraphs are ones neither the base nor this adapter trained on.
/// </summary>
[LoraRecipe("moby-gpt2", typeof(Gpt2), KnownDepth = 4)]
public partial class MobyRecipe
{
    static void Configure(RecipeBuilder r) => r
        .Model(m => m.FromDirectory(BaseModel.Directory))
        .Lora(l => l.Rank(16).Alpha(32).Dropout(0.05).Preset(Preset.QKVO))
        .Data(d => d
            .PlainText(Path.Combine(AppContext.BaseDirectory, "data", "moby-dick.txt"))
            .CausalLanguageModeling()
            .MaxTokens(128)
            .ValidationFraction(0.05)
            .Seed(11))
        .Training(t => t
            .LearningRate(1e-3)
            .MaxSteps(60)
            .BatchSize(4)
            .EvalEvery(30)
            .Seed(3)
            .OutputDirectory("runs/moby-gpt2"));
}
