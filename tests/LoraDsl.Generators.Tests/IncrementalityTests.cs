using System.Collections;
using System.Reflection;
using LoraDsl.Generators.Parsing;
using LoraDsl.Generators.Tests.Infrastructure;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp;

namespace LoraDsl.Generators.Tests;

public sealed class IncrementalityTests
{
    private static readonly string[] StepNames =
    [
        LoraDslGenerator.TrackingNames.Architectures,
        LoraDslGenerator.TrackingNames.Recipes,
        LoraDslGenerator.TrackingNames.RecipeList,
    ];

    private static CSharpCompilation Sample() => TestCompilation.Create(
        Sources.BuiltInArchitecture("Gpt2"),
        ("ChatRecipe.cs", SampleRecipes.Fluent),
        ("SpamRecipe.cs", SampleRecipes.Attributes),
        ("Other.cs", "public class Other { }"));

    private static Compilation Edit(Compilation compilation, string path, string source) =>
        compilation.ReplaceSyntaxTree(
            compilation.SyntaxTrees.Single(t => t.FilePath == path),
            CSharpSyntaxTree.ParseText(source, TestCompilation.ParseOptions, path));

    [Fact]
    public void UnrelatedEdit_LeavesEveryStepCachedOrUnchanged()
    {
        var compilation = Sample();
        var driver = TestCompilation.Driver(trackSteps: true).RunGenerators(compilation);

        driver = driver.RunGenerators(Edit(compilation, "Other.cs", "public class Other { public int Added; }"));
        var result = driver.GetRunResult().Results.Single();

        foreach (var name in StepNames)
        {
            var outputs = result.TrackedSteps[name].SelectMany(step => step.Outputs).ToList();
            Assert.NotEmpty(outputs);
            Assert.All(outputs, output => Assert.True(
                output.Reason is IncrementalStepRunReason.Cached or IncrementalStepRunReason.Unchanged,
                $"step {name} re-ran: {output.Reason}"));
        }
        Assert.All(result.TrackedOutputSteps.SelectMany(s => s.Value).SelectMany(s => s.Outputs),
            output => Assert.Equal(IncrementalStepRunReason.Cached, output.Reason));
    }

    [Fact]
    public void RecipeEdit_ModifiesOnlyThatRecipe()
    {
        var compilation = Sample();
        var driver = TestCompilation.Driver(trackSteps: true).RunGenerators(compilation);

        driver = driver.RunGenerators(Edit(compilation, "SpamRecipe.cs", SampleRecipes.Attributes.Replace("Rank = 8", "Rank = 4")));
        var result = driver.GetRunResult().Results.Single();

        var reasons = result.TrackedSteps[LoraDslGenerator.TrackingNames.Recipes].SelectMany(s => s.Outputs).Select(o => o.Reason).ToList();
        Assert.Contains(IncrementalStepRunReason.Modified, reasons);
        Assert.Contains(IncrementalStepRunReason.Cached, reasons);
        Assert.All(result.TrackedSteps[LoraDslGenerator.TrackingNames.Architectures].SelectMany(s => s.Outputs),
            output => Assert.Equal(IncrementalStepRunReason.Cached, output.Reason));
    }

    [Fact]
    public void ConfigureEdit_ModifiesThatRecipe_WithTheNewSetting()
    {
        var compilation = Sample();
        var driver = TestCompilation.Driver(trackSteps: true).RunGenerators(compilation);

        driver = driver.RunGenerators(Edit(compilation, "ChatRecipe.cs", SampleRecipes.Fluent.Replace("LearningRate(2e-4)", "LearningRate(3e-4)")));
        var outputs = driver.GetRunResult().Results.Single().TrackedSteps[LoraDslGenerator.TrackingNames.Recipes].SelectMany(s => s.Outputs).ToList();

        var modified = Assert.Single(outputs, o => o.Reason == IncrementalStepRunReason.Modified);
        var recipe = Assert.IsType<RecipeModel>(modified.Value);
        Assert.Equal("ChatRecipe", recipe.ClassName);
        Assert.Equal("0.0003", recipe.Settings.Single(s => s.Key == "training.lr").Text);
        Assert.Contains(outputs, o => o.Reason == IncrementalStepRunReason.Cached);
    }

    [Fact]
    public void ConfigureInAnotherFileOfThePartialClass_IsReadByTheGenerator()
    {
        var compilation = TestCompilation.Create(
            ("Recipe.cs", """
                [LoraDsl.Recipes.LoraRecipe("split", typeof(LoraDsl.Architectures.Llama))]
                public partial class Split;
                """),
            ("Split.Configure.cs", """
                public partial class Split
                {
                    static void Configure(LoraDsl.Recipes.RecipeBuilder r) => r.Training(t => t.Epochs(2));
                }
                """));
        var driver = TestCompilation.Driver(trackSteps: true).RunGenerators(compilation);

        var recipe = (RecipeModel)driver.GetRunResult().Results.Single().TrackedSteps[LoraDslGenerator.TrackingNames.Recipes]
            .SelectMany(s => s.Outputs).Single().Value;
        var epochs = Assert.Single(recipe.Settings);
        Assert.Equal(("training.epochs", "2", 2.0, "Split.Configure.cs"), (epochs.Key, epochs.Text, epochs.Number, epochs.Location!.FilePath));
    }

    [Fact]
    public void PipelineModels_HoldNoSymbolsSyntaxOrCompilation()
    {
        var driver = TestCompilation.Driver(trackSteps: true).RunGenerators(Sample());
        var result = driver.GetRunResult().Results.Single();

        var values = StepNames.SelectMany(name => result.TrackedSteps[name]).SelectMany(s => s.Outputs).Select(o => o.Value).ToList();
        Assert.NotEmpty(values);
        foreach (var value in values) AssertPlainValue(value, "model", depth: 0);
    }

    private static void AssertPlainValue(object? value, string path, int depth)
    {
        if (value is null || depth > 12) return;
        var type = value.GetType();
        Assert.False(
            value is ISymbol or SyntaxNode or SyntaxTree or Compilation or SemanticModel or Location or AttributeData,
            $"{path} holds a {type.Name}: pipeline models must be plain values");
        if (type.IsPrimitive || type.IsEnum || value is string || type.Namespace == "Microsoft.CodeAnalysis.Text") return;
        if (value is IEnumerable items)
        {
            var index = 0;
            foreach (var item in items) AssertPlainValue(item, $"{path}[{index++}]", depth + 1);
            return;
        }
        foreach (var property in type.GetProperties(BindingFlags.Public | BindingFlags.Instance))
        {
            if (property.GetIndexParameters().Length > 0) continue;
            AssertPlainValue(property.GetValue(value), $"{path}.{property.Name}", depth + 1);
        }
    }
}
