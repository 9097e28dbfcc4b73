using LoraDsl.Adapters.Combination;
using LoraDsl.Architectures;
using LoraDsl.Dsl;
using LoraDsl.Recipes;

namespace Gpt2Sotu;

/// <summary>
/// A recipe that declares the adapters it starts from: half of <see cref="SotuRecipe"/>'s and half of
/// <see cref="MobyRecipe"/>'s, stacked with <c>cat</c> (r = 16 + 16 = 32, so this recipe's rank is 32; the compiler
/// checks it, LORA027), then 20 more steps on the State of the Union training split (the same split as
/// <see cref="SotuRecipe"/>: its held-out addresses stay unseen).
/// </summary>
[LoraRecipe("sotu-moby-blend", typeof(Gpt2), KnownDepth = 4)]
public partial class BlendRecipe
{
    static void Configure(RecipeBuilder r) => r
        .Model(m => m.FromDirectory(BaseModel.Directory))
        .Lora(l => l.Rank(32).Alpha(32).Dropout(0.05).Preset(Preset.QKVO))
        .StartFrom(s => s.Adapter<SotuRecipe>(0.5).Adapter<MobyRecipe>(0.5).Combine(CombinationMethod.Cat))
        .Data(d => d
            .JsonLines(Path.Combine(AppContext.BaseDirectory, "data", "sotu-1989-2021.jsonl"))
            .CausalLanguageModeling("text")
            .MaxTokens(128)
            .ValidationFraction(0.15)
            .Seed(3))
        .Training(t => t
            .LearningRate(5e-4)
            .MaxSteps(20)
            .BatchSize(4)
            .EvalEvery(0)
            .Seed(3)
            .OutputDirectory("runs/sotu-moby-blend"));
}
