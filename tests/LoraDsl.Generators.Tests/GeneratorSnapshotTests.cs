using LoraDsl.Generators.Tests.Infrastructure;

namespace LoraDsl.Generators.Tests;

public sealed class GeneratorSnapshotTests
{
    [Theory]
    [InlineData("Llama")]
    [InlineData("Gpt2")]
    [InlineData("Bert")]
    [InlineData("Qwen3")]
    [InlineData("Phi3")]
    [InlineData("Gemma2")]
    [InlineData("Gemma3")]
    public void BuiltInArchitecture_GeneratesModules(string name)
    {
        var (output, generated) = TestCompilation.Generate(Sources.BuiltInArchitecture(name));

        Assert.Empty(TestCompilation.Errors(output));
        Snapshot.Match($"{name}.Modules", generated[$"LoraDsl.Architectures.{name}.Modules.g.cs"]);
    }

    [Fact]
    public void FluentRecipe_GeneratesBuildAndRun()
    {
        var (output, generated) = TestCompilation.Generate(("ChatRecipe.cs", SampleRecipes.Fluent));

        Assert.Empty(TestCompilation.Errors(output));
        Snapshot.Match("ChatRecipe.Recipe", generated["Samples.ChatRecipe.Recipe.g.cs"]);
    }

    [Fact]
    public void AttributeRecipe_GeneratesBuildAndRun()
    {
        var (output, generated) = TestCompilation.Generate(("SpamRecipe.cs", SampleRecipes.Attributes));

        Assert.Empty(TestCompilation.Errors(output));
        Snapshot.Match("SpamRecipe.Recipe", generated["Samples.SpamRecipe.Recipe.g.cs"]);
    }

    [Theory]
    [InlineData("NeftuneRecipe", nameof(SampleRecipes.NeftuneLoraPlus))]
    [InlineData("AdaLoraRecipe", nameof(SampleRecipes.AdaLoraNoValidation))]
    [InlineData("BlendRecipe", nameof(SampleRecipes.StartFromCombination))]
    public void RecipeVariants_GenerateOnlyTheLoopPartsTheyUse(string className, string sample)
    {
        var source = (string)typeof(SampleRecipes).GetField(sample)!.GetValue(null)!;
        var (output, generated) = TestCompilation.Generate(($"{className}.cs", source));

        Assert.Empty(TestCompilation.Errors(output));
        Snapshot.Match($"{className}.Recipe", generated[$"Samples.{className}.Recipe.g.cs"]);
    }

    [Fact]
    public async Task EmbeddingTargets_CompileWithoutDiagnostics_AndTheEmittedRecipeSelectsTheEmbedding()
    {
        const string source = """
            using LoraDsl.Architectures;
            using LoraDsl.Dsl;
            using LoraDsl.Recipes;

            namespace Samples;

            [LoraRecipe("embed-llama", typeof(Llama), Model = "models/tiny-llama")]
            [Target("embed_tokens")]
            public partial class EmbedRecipe
            {
                static void Configure(RecipeBuilder r) => r.Lora(l => l.Rank(4).Target(Llama.QProj));
            }

            [LoraRecipe("embed-gpt2", typeof(Gpt2), Model = "models/gpt2")]
            public partial class WteRecipe
            {
                static void Configure(RecipeBuilder r) => r.Lora(l => l.Target(ModuleRole.Embedding).Target("c_attn"));
            }
            """;
        await Verify.Analyzer(source);
        var (output, generated) = TestCompilation.Generate(("EmbedRecipe.cs", source));
        Assert.Empty(TestCompilation.Errors(output));
        Assert.Contains(".Target(\"embed_tokens\")", generated["Samples.EmbedRecipe.Recipe.g.cs"]);

        // Run the emitted Definition: its targets select the embedding whole (no fused part) beside q_proj in every layer,
        // which TargetPlacement turns into a LoraTarget on "model.embed_tokens" with no rows.
        using var image = new MemoryStream();
        Assert.True(output.Emit(image).Success);
        var context = new System.Runtime.Loader.AssemblyLoadContext("embed-recipes", isCollectible: true);
        try
        {
            var assembly = context.LoadFromStream(new MemoryStream(image.ToArray()));
            LoraDsl.Dsl.TargetPlan Plan(string type, LoraDsl.Dsl.ArchitectureDescriptor architecture)
            {
                var definition = (LoraDsl.Recipes.RecipeDefinition)assembly.GetType(type)!.GetProperty("Definition")!.GetValue(null)!;
                return definition.Targets.Resolve(architecture, 2);
            }
            var llama = Plan("Samples.EmbedRecipe", LoraDsl.Architectures.Llama.Descriptor);
            Assert.True(llama.Selects(LoraDsl.Architectures.Llama.EmbedTokens, null, out var embedPart));
            Assert.Null(embedPart);
            Assert.True(llama.Selects(LoraDsl.Architectures.Llama.QProj, 1, out _));
            var gpt2 = Plan("Samples.WteRecipe", LoraDsl.Architectures.Gpt2.Descriptor);
            Assert.True(gpt2.Selects(LoraDsl.Architectures.Gpt2.Wte, null, out var wtePart));
            Assert.Null(wtePart);
        }
        finally
        {
            context.Unload();
        }
        Assert.Contains("global::LoraDsl.Lora.TargetPlacement.Resolve(model, global::LoraDsl.Architectures.Llama.Descriptor, recipe.Targets);",
            generated["Samples.EmbedRecipe.Recipe.g.cs"]);
    }

    [Fact]
    public void Registry_ListsRecipesSortedByName()
    {
        var (output, generated) = TestCompilation.Generate(("ChatRecipe.cs", SampleRecipes.Fluent), ("SpamRecipe.cs", SampleRecipes.Attributes));

        Assert.Empty(TestCompilation.Errors(output));
        Snapshot.Match("LoraDslRecipes", generated["LoraDslRecipes.g.cs"]);
    }

    [Fact]
    public void NonPartialRecipe_GeneratesNothing()
    {
        var (output, generated) = TestCompilation.Generate(("R.cs", """
            [LoraDsl.Recipes.LoraRecipe("r", typeof(LoraDsl.Architectures.Llama))]
            public class R { }
            """));

        Assert.Empty(generated);
        Assert.Empty(TestCompilation.Errors(output));
    }

    [Fact]
    public void MalformedArchitecture_GeneratesNothing()
    {
        var (_, generated) = TestCompilation.Generate(("A.cs", """
            using LoraDsl.Dsl;
            [LoraArchitecture("broken")]
            [LoraModule("q", "layers..{layer}.q", ModuleKind.Linear, ModuleRole.Query)]
            public static partial class Broken;
            """));

        Assert.Empty(generated);
    }
}
