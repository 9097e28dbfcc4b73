namespace LoraDsl.Generators.Tests.Infrastructure;

/// <summary>The two sample recipes of the snapshot tests: one fluent, one attribute-based.</summary>
public static class SampleRecipes
{
    public const string Fluent = """
        using LoraDsl.Architectures;
        using LoraDsl.Recipes;

        namespace Samples;

        [LoraRecipe("tiny-llama-chat", typeof(Llama))]
        public partial class ChatRecipe
        {
            static void Configure(RecipeBuilder r) => r
                .Lora(l => l.Rank(16).Alpha(32).Dropout(0.05).Target(Llama.QProj, Llama.VProj))
                .Model(m => m.FromDirectory("models/tiny-llama"))
                .Data(d => d.JsonLines("data/chat.jsonl").InstructionTuning().MaxTokens(256))
                .Training(t => t.LearningRate(2e-4).Epochs(1).BatchSize(8));
        }
        """;

    public const string Attributes = """
        using LoraDsl.Architectures;
        using LoraDsl.Dsl;
        using LoraDsl.Recipes;

        namespace Samples;

        [LoraRecipe("spam-minilm", typeof(Bert), Model = "models/minilm", KnownDepth = 6)]
        [Lora(Rank = 8, Alpha = 16, Dropout = 0.1)]
        [Target(ModuleRole.Query)]
        [Target("value", Layers = "0..3")]
        [TargetPreset(Preset.FeedForward)]
        public partial class SpamRecipe;
        """;
}
