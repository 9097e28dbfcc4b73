using LoraDsl.Adapters.Combination;
using LoraDsl.Architectures;
using LoraDsl.Dsl;
using LoraDsl.Recipes;

namespace LoraDsl.Tests.Adapters.Start;

// Recipes for the starting-adapter tests: two small adapters on a tiny LLaMA (q and v, r=4), one recipe that
// continues the first, one that starts from their cat combination (r = 4 + 4). Tests point them at temp folders
// with --set (model.path, training.output_dir, start.adapters).

[LoraRecipe("start-first", typeof(Llama))]
internal partial class FirstAdapterRecipe
{
    internal static void Configure(RecipeBuilder r) => StartRecipeParts.Common(r, seed: 1)
        .Lora(l => l.Rank(4).Alpha(8).Dropout(0).Preset(Preset.QV));
}

[LoraRecipe("start-second", typeof(Llama))]
internal partial class SecondAdapterRecipe
{
    static void Configure(RecipeBuilder r) => StartRecipeParts.Common(r, seed: 2)
        .Lora(l => l.Rank(4).Alpha(4).Dropout(0).Preset(Preset.QV));
}

[LoraRecipe("start-continue", typeof(Llama))]
internal partial class ContinueRecipe
{
    static void Configure(RecipeBuilder r) => StartRecipeParts.Common(r, seed: 1)
        .Lora(l => l.Rank(4).Alpha(8).Dropout(0).Preset(Preset.QV))
        .StartFrom(s => s.Adapter<FirstAdapterRecipe>());
}

[LoraRecipe("start-cat", typeof(Llama))]
internal partial class CatStartRecipe
{
    static void Configure(RecipeBuilder r) => StartRecipeParts.Common(r, seed: 1)
        .Lora(l => l.Rank(8).Alpha(16).Dropout(0).Preset(Preset.QV))
        .StartFrom(s => s.Adapter<FirstAdapterRecipe>(1.0).Adapter<SecondAdapterRecipe>(0.5).Combine(CombinationMethod.Cat));
}

static class StartRecipeParts
{
    public static RecipeBuilder Common(RecipeBuilder r, int seed) => r
        .Model(m => m.FromDirectory("models/tiny-llama"))
        .Data(d => d
            .JsonLines(Path.Combine(AppContext.BaseDirectory, "data", "sotu-instructions.jsonl"))
            .InstructionTuning()
            .MaxTokens(64)
            .MaxRecords(32)
            .ValidationFraction(0.25))
        .Training(t => t.LearningRate(5e-3).MaxSteps(3).BatchSize(4).EvalEvery(0).Seed(seed));
}
