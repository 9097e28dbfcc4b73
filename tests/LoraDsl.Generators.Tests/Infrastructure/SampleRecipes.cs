namespace LoraDsl.Generators.Tests.Infrastructure;

/// <summary>The sample recipes of the snapshot tests: fluent, attribute-based, and ones that turn on each loop variant.</summary>
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

    /// <summary>A causal LM recipe with gradient accumulation, NEFTune and LoRA+, one setting given by attribute.</summary>
    public const string NeftuneLoraPlus = """
        using LoraDsl.Architectures;
        using LoraDsl.Dsl;
        using LoraDsl.Recipes;

        namespace Samples;

        [LoraRecipe("gpt2-neftune", typeof(Gpt2))]
        [Setting("training.save_every", "50")]
        public partial class NeftuneRecipe
        {
            static void Configure(RecipeBuilder r) => r
                .Model(m => m.FromDirectory("models/gpt2"))
                .Lora(l => l.Rank(8).Alpha(16).Preset(Preset.QV))
                .Data(d => d.PlainText("data/book.txt").CausalLanguageModeling().MaxTokens(128).ValidationFraction(0.05))
                .Training(t => t.LearningRate(3e-4).BatchSize(4).GradientAccumulation(4).Neftune(5).LoraPlus(16));
        }
        """;

    /// <summary>An AdaLoRA recipe without a validation split: no evaluation block.</summary>
    public const string AdaLoraNoValidation = """
        using LoraDsl.Architectures;
        using LoraDsl.Dsl;
        using LoraDsl.Recipes;

        namespace Samples;

        [LoraRecipe("llama-adalora", typeof(Llama))]
        public partial class AdaLoraRecipe
        {
            static void Configure(RecipeBuilder r) => r
                .Model(m => m.FromDirectory("models/llama"))
                .Lora(l => l.AdaLora().AdaLoraInitR(12).AdaLoraTargetR(4).AdaLoraTInit(10).AdaLoraTFinal(10).Preset(Preset.QKVO))
                .Data(d => d.JsonLines("data/instructions.jsonl").InstructionTuning().ValidationFraction(0))
                .Training(t => t.LearningRate(1e-3).MaxSteps(100));
        }
        """;

    /// <summary>Two GPT-2 adapters and a recipe that starts from their cat combination (r = 8 + 8): the loop loads the start.</summary>
    public const string StartFromCombination = """
        using LoraDsl.Adapters.Combination;
        using LoraDsl.Architectures;
        using LoraDsl.Dsl;
        using LoraDsl.Recipes;

        namespace Samples;

        [LoraRecipe("gpt2-sotu", typeof(Gpt2))]
        public partial class SotuRecipe
        {
            static void Configure(RecipeBuilder r) => r
                .Model(m => m.FromDirectory("models/gpt2"))
                .Lora(l => l.Rank(8).Alpha(16).Preset(Preset.QV))
                .Data(d => d.JsonLines("data/sotu.jsonl").CausalLanguageModeling().ValidationFraction(0.1));
        }

        [LoraRecipe("gpt2-moby", typeof(Gpt2))]
        public partial class MobyRecipe
        {
            static void Configure(RecipeBuilder r) => r
                .Model(m => m.FromDirectory("models/gpt2"))
                .Lora(l => l.Rank(8).Alpha(8).Preset(Preset.QV))
                .Data(d => d.PlainText("data/moby.txt").CausalLanguageModeling().ValidationFraction(0.1));
        }

        [LoraRecipe("gpt2-blend", typeof(Gpt2))]
        public partial class BlendRecipe
        {
            static void Configure(RecipeBuilder r) => r
                .Model(m => m.FromDirectory("models/gpt2"))
                .Lora(l => l.Rank(16).Alpha(16).Preset(Preset.QV))
                .StartFrom(s => s.Adapter<SotuRecipe>(0.5).Adapter<MobyRecipe>(0.5).Combine(CombinationMethod.Cat))
                .Data(d => d.JsonLines("data/sotu.jsonl").CausalLanguageModeling().ValidationFraction(0.1));
        }
        """;
}
