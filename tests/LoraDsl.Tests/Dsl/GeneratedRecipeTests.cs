using LoraDsl.Architectures;
using LoraDsl.Dsl;
using LoraDsl.Recipes;
using Xunit;

namespace LoraDsl.Tests.Dsl;

// Generated in this project because the generator flows to projects referencing src/LoraDsl.
[LoraRecipe("test-spam", typeof(Bert), Model = "models/minilm", KnownDepth = 6)]
[Lora(Rank = 8, Alpha = 16, Dropout = 0.1)]
[Target(ModuleRole.Query)]
[Target("value", Layers = "0..3")]
public partial class AttributeSpamRecipe;

[LoraRecipe("test-chat", typeof(Llama))]
public partial class FluentChatRecipe
{
    static void Configure(RecipeBuilder r) => r
        .Lora(l => l.Rank(4).Target(Llama.QProj, Llama.VProj))
        .Model(m => m.FromDirectory("models/tiny-llama"))
        .Training(t => t.MaxSteps(3));
}

public class GeneratedRecipeTests
{
    [Fact]
    public void AttributeRecipe_DefinitionFollowsTheAttributes()
    {
        var recipe = AttributeSpamRecipe.Definition;

        Assert.Equal("test-spam", recipe.Name);
        Assert.Same(Bert.Descriptor, recipe.Architecture);
        Assert.Equal((8, 16.0, 0.1), (recipe.Lora.Rank, recipe.Lora.Alpha, recipe.Lora.Dropout));
        Assert.Equal(6, recipe.KnownDepth);
        Assert.Equal([TargetSpec.ForRole(ModuleRole.Query), TargetSpec.ForName("value", "0..3")], recipe.Targets.Targets);
    }

    [Fact]
    public void FluentRecipe_BuildAppliesOverrides()
    {
        var recipe = FluentChatRecipe.Build([new("lora.r", "2"), new("training.max_steps", "7")]);

        Assert.Equal(2, recipe.Lora.Rank);
        Assert.Equal(7, recipe.Training.MaxSteps);
        Assert.Equal(2, recipe.Targets.Targets.Count);
    }

    [Fact]
    public void Registry_ListsTheAssemblysRecipesByName()
    {
        Assert.Equal(["start-cat", "start-continue", "start-first", "start-second", "test-chat", "test-embed-gpt2", "test-embed-llama", "test-selection-llama", "test-spam"], LoraDslRecipes.All.Keys);
        Assert.Equal("test-chat", LoraDslRecipes.All["test-chat"].Build(null).Name);
    }
}
