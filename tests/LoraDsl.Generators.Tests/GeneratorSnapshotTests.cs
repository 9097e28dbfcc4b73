using LoraDsl.Generators.Tests.Infrastructure;

namespace LoraDsl.Generators.Tests;

public sealed class GeneratorSnapshotTests
{
    [Theory]
    [InlineData("Llama")]
    [InlineData("Gpt2")]
    [InlineData("Bert")]
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
