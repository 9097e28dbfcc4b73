using System.Collections.Immutable;
using LoraDsl.Architectures;
using LoraDsl.Dsl;
using LoraDsl.Generators.Tests.Infrastructure;
using LoraDsl.Lora;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.Diagnostics;

namespace LoraDsl.Generators.Tests;

/// <summary>The compile-time diagnostic and the run-time exception say the same thing.</summary>
public sealed class SharedMessageTests
{
    private static async Task<string> AnalyzerMessage(string source)
    {
        var compilation = TestCompilation.Create(("R.cs", source))
            .WithAnalyzers(ImmutableArray.Create<DiagnosticAnalyzer>(new LoraDslAnalyzer()));
        var diagnostic = Assert.Single(await compilation.GetAnalyzerDiagnosticsAsync());
        return diagnostic.GetMessage(System.Globalization.CultureInfo.InvariantCulture);
    }

    [Fact]
    public async Task UnknownModule_SameTextAtCompileAndRunTime()
    {
        var compileTime = await AnalyzerMessage("""
            [LoraDsl.Recipes.LoraRecipe("r", typeof(LoraDsl.Architectures.Llama))]
            [LoraDsl.Recipes.Target("qproj")]
            public partial class R;
            """);
        var runTime = Assert.Throws<TargetResolutionException>(() => TargetSet.Of("qproj").Resolve(Llama.Descriptor, 32)).Message;

        Assert.Equal(runTime, compileTime);
    }

    [Fact]
    public async Task MissingRole_SameTextAtCompileAndRunTime()
    {
        var compileTime = await AnalyzerMessage("""
            [LoraDsl.Recipes.LoraRecipe("r", typeof(LoraDsl.Architectures.Gpt2))]
            [LoraDsl.Recipes.Target(LoraDsl.Dsl.ModuleRole.Classifier)]
            public partial class R;
            """);
        var runTime = Assert.Throws<TargetResolutionException>(() => TargetSet.Of(ModuleRole.Classifier).Resolve(Gpt2.Descriptor, 12)).Message;

        Assert.Equal(runTime, compileTime);
    }

    [Fact]
    public async Task Dropout_SameTextAsLoraOptionsValidate()
    {
        var compileTime = await AnalyzerMessage("""
            [LoraDsl.Recipes.LoraRecipe("r", typeof(LoraDsl.Architectures.Llama))]
            [LoraDsl.Recipes.Lora(Dropout = 1.5)]
            public partial class R;
            """);
        var runTime = Assert.Throws<ArgumentException>(() => new LoraOptions { Dropout = 1.5 }.Validate()).Message;

        Assert.Equal(runTime, compileTime);
    }

    [Fact]
    public async Task SettingOutOfRange_SameTextAsTheCatalogRule()
    {
        var compileTime = await AnalyzerMessage("""
            [LoraDsl.Recipes.LoraRecipe("r", typeof(LoraDsl.Architectures.Llama))]
            public partial class R
            {
                static void Configure(LoraDsl.Recipes.RecipeBuilder r) => r.Training(t => t.LearningRate(-0.001));
            }
            """);
        // The runtime's own copy of the catalog (the generator compiles the same file; the name is in both assemblies).
        var catalog = typeof(LoraDsl.Recipes.RecipeBuilder).Assembly.GetType("LoraDsl.Dsl.RecipeSettingCatalog")!;
        var setting = catalog.GetMethod("Find")!.Invoke(null, ["training.lr"])!;
        var runTime = (string?)setting.GetType().GetMethod("Error")!.Invoke(setting, [-0.001]);

        Assert.Equal("Setting 'training.lr' (Training.LearningRate) must be positive, got -0.001.", runTime);
        Assert.Equal(runTime, compileTime);
    }

    [Fact]
    public async Task UnknownSetting_SameTextAsTheSettingsTable()
    {
        var compileTime = await AnalyzerMessage("""
            [LoraDsl.Recipes.LoraRecipe("r", typeof(LoraDsl.Architectures.Llama))]
            [LoraDsl.Recipes.Setting("training.learnig_rate", "1e-3")]
            public partial class R;
            """);
        var runTime = Assert.Throws<LoraDsl.Recipes.RecipeValidationException>(() => LoraDsl.Recipes.Settings.RecipeSettings.Find("training.learnig_rate", "r")).Message;

        Assert.Equal(runTime, compileTime);
    }
}
