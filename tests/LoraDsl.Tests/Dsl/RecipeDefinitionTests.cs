using LoraDsl.Architectures;
using LoraDsl.Dsl;
using LoraDsl.Recipes;
using Xunit;

namespace LoraDsl.Tests.Dsl;

public class RecipeDefinitionTests
{
    private static RecipeDefinition Sample() => new RecipeBuilder("sample", Llama.Descriptor)
        .Lora(l => l.Rank(16).Alpha(32).Dropout(0.05).Target(Llama.QProj, Llama.VProj).TargetLayers("0..2", ModuleRole.FfnUp))
        .Model(m => m.FromDirectory("models/llama"))
        .Data(d => d.JsonLines("data/train.jsonl").Classification("text", "label").MaxTokens(128))
        .Training(t => t.LearningRate(2e-4).Epochs(1).BatchSize(8))
        .Build();

    [Fact]
    public void Builder_CollectsEveryPart()
    {
        var recipe = Sample();

        Assert.Equal((16, 32.0, 0.05), (recipe.Lora.Rank, recipe.Lora.Alpha, recipe.Lora.Dropout));
        Assert.Equal(ModelSource.FromDirectory("models/llama"), recipe.Model);
        Assert.Equal(3, recipe.Targets.Targets.Count);
        Assert.Equal("0..2", recipe.Targets.Targets[2].Layers);
        Assert.Equal(["data/train.jsonl"], recipe.Data.Files);
        Assert.Equal(128, recipe.Data.MaxTokens);
        Assert.Equal(8, recipe.Training.BatchSize);
    }

    [Fact]
    public void Overrides_ApplyCommonKeys()
    {
        var recipe = Sample().WithOverrides(
        [
            RecipeDefinition.ParseOverride("lora.r=4"),
            RecipeDefinition.ParseOverride("lora.dropout=0"),
            RecipeDefinition.ParseOverride("training.lr=1e-3"),
            RecipeDefinition.ParseOverride("training.max_steps=10"),
            RecipeDefinition.ParseOverride("data.max_tokens = 64"),
        ]);

        Assert.Equal((4, 0.0), (recipe.Lora.Rank, recipe.Lora.Dropout));
        Assert.Equal((1e-3, (int?)10), (recipe.Training.LearningRate, recipe.Training.MaxSteps));
        Assert.Equal(64, recipe.Data.MaxTokens);
    }

    [Fact]
    public void Overrides_RejectUnknownKeysBadValuesAndInvalidResults()
    {
        var unknown = Assert.Throws<RecipeValidationException>(() => Sample().WithOverride("lora.rnk", "4"));
        var notANumber = Assert.Throws<RecipeValidationException>(() => Sample().WithOverride("lora.alpha", "big"));
        var invalid = Assert.Throws<RecipeValidationException>(() => Sample().WithOverride("lora.r", "0"));

        Assert.Contains("did you mean 'lora.r'?", unknown.Message);
        Assert.Equal("Setting 'lora.alpha' needs a number, got 'big'.", notANumber.Message);
        Assert.Equal(string.Format(DslMessages.RankNotPositive, 0), invalid.Message);
    }

    [Fact]
    public void Build_ValidatesWithTheDiagnosticMessages()
    {
        var dropout = Assert.Throws<RecipeValidationException>(() => new RecipeBuilder("r", Bert.Descriptor)
            .Lora(l => l.Dropout(1.0)).Model(m => m.BuiltIn("minilm")).Build());
        var role = Assert.Throws<TargetResolutionException>(() => new RecipeBuilder("r", Bert.Descriptor)
            .Lora(l => l.Target(ModuleRole.FfnGate)).Model(m => m.BuiltIn("minilm")).Build());
        var noModel = Assert.Throws<RecipeValidationException>(() => new RecipeBuilder("r", Bert.Descriptor).Build());

        Assert.Equal("LoRA dropout must be in [0, 1), got 1.", dropout.Message);
        Assert.StartsWith("Architecture 'bert' has no module with role FfnGate; target one of its roles: Query, Key, Value, Output", role.Message);
        Assert.Contains("names no model", noModel.Message);
    }

    [Fact]
    public void KnownDepth_ChecksLayersAtBuild()
    {
        var builder = new RecipeBuilder("r", Bert.Descriptor) { KnownDepth = 6 }
            .Lora(l => l.TargetLayers("4..8", "query"))
            .Model(m => m.BuiltIn("minilm"));

        var error = Assert.Throws<TargetResolutionException>(builder.Build);

        Assert.Equal("Layer selection '4..8' is outside the 6 layers of architecture 'bert'; use layers 0..6", error.Message);
    }

    [Theory]
    [InlineData("3", new[] { 3 })]
    [InlineData("0..3", new[] { 0, 1, 2 })]
    [InlineData("..2, 5", new[] { 0, 1, 5 })]
    [InlineData("6..", new[] { 6, 7 })]
    public void LayerSelection_ParsesIndicesRangesAndLists(string text, int[] expected)
    {
        var selection = LayerSelection.TryParse(text)!;

        Assert.Equal(expected, Enumerable.Range(0, 8).Where(selection.Contains));
    }

    [Theory]
    [InlineData("3..1")]
    [InlineData("a")]
    [InlineData("")]
    [InlineData("-1")]
    public void LayerSelection_RejectsMalformedText(string text) => Assert.Null(LayerSelection.TryParse(text));
}
