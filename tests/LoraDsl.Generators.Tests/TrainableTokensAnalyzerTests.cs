using LoraDsl.Generators.Tests.Infrastructure;

namespace LoraDsl.Generators.Tests;

/// <summary>LORA031: l.TrainableTokens(..) (PEFT's trainable_token_indices, list form) needs an architecture with an Embedding-role module.</summary>
public sealed class TrainableTokensAnalyzerTests
{
    private const string Usings = """
        using LoraDsl.Architectures;
        using LoraDsl.Dsl;
        using LoraDsl.Lora;
        using LoraDsl.Recipes;

        """;

    [Fact]
    public Task Trainable_tokens_on_an_architecture_without_embeddings_is_an_error_and_on_llama_is_not() => Verify.Analyzer(Usings + """
        [LoraArchitecture("bare")]
        [LoraModule("q", "layers.{layer}.q", ModuleKind.Linear, ModuleRole.Query)]
        public static partial class Bare;

        [LoraRecipe("ids", typeof(Bare))]
        public partial class Ids
        {
            static void Configure(RecipeBuilder r) => r.Lora(l => l.Target("q").TrainableTokens({|#0:7|}));
        }

        [LoraRecipe("text", typeof(Bare))]
        public partial class Text
        {
            static void Configure(RecipeBuilder r) => r.Lora(l => l.Target("q").TrainableTokens({|#1:"<|im_end|>"|}));
        }

        [LoraRecipe("named", typeof(Bare))]
        public partial class Named
        {
            // The map form names its module: nothing for the compiler to find missing.
            static void Configure(RecipeBuilder r) => r.Lora(l => l.Target("q").TrainableTokensOn("q", 7).EnsureWeightTying());
        }

        [LoraRecipe("llama", typeof(Llama))]
        public partial class WithEmbeddings
        {
            // LLaMA declares embed_tokens (role Embedding): fine.
            static void Configure(RecipeBuilder r) => r.Lora(l => l.Target("q_proj").TrainableTokens("<|im_end|>", "<|im_start|>").EnsureWeightTying());
        }
        """, null,
        Microsoft.CodeAnalysis.Testing.DiagnosticResult.CompilerError("LORA031").WithLocation(0)
            .WithMessage("Trainable tokens (trainable_token_indices) train rows of the input embedding, but 'bare' has no module of role Embedding; remove lora.trainable_token_indices or name the embedding module (l.TrainableTokensOn(\"embed_tokens\", ...))"),
        Microsoft.CodeAnalysis.Testing.DiagnosticResult.CompilerError("LORA031").WithLocation(1)
            .WithMessage("Trainable tokens (trainable_token_indices) train rows of the input embedding, but 'bare' has no module of role Embedding; remove lora.trainable_token_indices or name the embedding module (l.TrainableTokensOn(\"embed_tokens\", ...))"));
}
