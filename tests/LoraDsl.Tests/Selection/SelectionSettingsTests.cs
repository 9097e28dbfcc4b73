using LoraDsl.Architectures;
using LoraDsl.Dsl;
using LoraDsl.Recipes;
using Xunit;

namespace LoraDsl.Tests.Selection;

/// <summary>PEFT's selection options from the DSL and from --set: what they set, and the checks (texts shared with LORA032-036).</summary>
public class SelectionSettingsTests
{
    static RecipeBuilder Builder(Action<LoraBuilder> lora, int? depth = 2)
    {
        var builder = new RecipeBuilder("sel", Llama.Descriptor) { KnownDepth = depth };
        return builder.Model(m => m.FromDirectory("models/llama")).Lora(lora);
    }

    static RecipeDefinition Sample() => Builder(l => l.Rank(8).Target(Llama.QProj, Llama.VProj)).Build();

    [Fact]
    public void The_DSL_states_each_option_in_PEFTs_terms()
    {
        var recipe = Builder(l => l.Rank(8).Target("all-linear").Exclude(Llama.OProj).Exclude("model.layers.0.mlp.up_proj")
            .LayersToTransform(0, 1).LayersPattern("layers").RankPattern(Llama.QProj, 16).RankPattern(@"layers\.1\.self_attn\.v_proj", 4)
            .AlphaPattern(Llama.VProj, 2)).Build();
        Assert.Equal(Preset.AllLinear, Assert.Single(recipe.Targets.Targets).Preset);
        Assert.Equal(["o_proj", "model.layers.0.mlp.up_proj"], recipe.Lora.Selection.ExcludeModules);
        Assert.Equal([0, 1], recipe.Lora.Selection.LayersToTransform);
        Assert.Equal("layers", recipe.Lora.Selection.LayersPattern);
        Assert.Equal([new KeyValuePair<string, int>("q_proj", 16), new KeyValuePair<string, int>(@"layers\.1\.self_attn\.v_proj", 4)], recipe.Lora.RankPattern.ToList());
        Assert.Equal([new KeyValuePair<string, double>("v_proj", 2)], recipe.Lora.AlphaPattern.ToList());

        var regex = Builder(l => l.TargetRegex(@".*\.(q_proj|v_proj)")).Build();
        Assert.True(regex.Targets.IsEmpty);
        Assert.Equal(@".*\.(q_proj|v_proj)", regex.Lora.Selection.TargetRegex);
    }

    [Fact]
    public void Set_reaches_every_option_and_reads_back_as_written()
    {
        var recipe = Sample().WithOverrides([
            new("lora.target_modules", "q_proj,k_proj"), new("lora.exclude_modules", "model.layers.1.self_attn.k_proj"),
            new("lora.layers_to_transform", "0,1"), new("lora.layers_pattern", "layers"),
            new("lora.rank_pattern", "q_proj=16,layers\\.1\\.self_attn\\.k_proj=4"), new("lora.alpha_pattern", "k_proj=64")]);
        Assert.Equal(["q_proj", "k_proj"], recipe.Targets.Targets.Select(t => t.Name));
        Assert.Equal(16, recipe.Lora.ForModule("model.layers.0.self_attn.q_proj").Rank);
        Assert.Equal((4, 64.0), (recipe.Lora.ForModule("model.layers.1.self_attn.k_proj").Rank, recipe.Lora.ForModule("model.layers.1.self_attn.k_proj").Alpha));
        var settings = recipe.Settings().ToDictionary(kv => kv.Key, kv => kv.Value);
        Assert.Equal("q_proj,k_proj", settings["lora.target_modules"]);
        Assert.Equal("0,1", settings["lora.layers_to_transform"]);
        Assert.Equal("q_proj=16,layers\\.1\\.self_attn\\.k_proj=4", settings["lora.rank_pattern"]);
        Assert.Equal("k_proj=64", settings["lora.alpha_pattern"]);

        var linear = Sample().WithOverride("lora.target_modules", "all-linear");
        Assert.Equal(Preset.AllLinear, Assert.Single(linear.Targets.Targets).Preset);
        // A regex replaces the list (PEFT's target_modules is one or the other), and a list replaces the regex.
        var regex = Sample().WithOverride("lora.target_regex", @".*\.layers\.0\..*_proj");
        Assert.True(regex.Targets.IsEmpty);
        Assert.Null(regex.WithOverride("lora.target_modules", "v_proj").Lora.Selection.TargetRegex);
        Assert.Empty(Sample().WithOverrides([new("lora.rank_pattern", "q_proj=4"), new("lora.rank_pattern", "none")]).Lora.RankPattern);
    }

    [Theory]
    [InlineData("lora.target_regex", "(q_proj", "lora.target_regex '(q_proj' is not a valid regular expression")]
    [InlineData("lora.rank_pattern", "qproj=8", "lora.rank_pattern key 'qproj' matches no module of architecture 'llama'")]
    [InlineData("lora.alpha_pattern", "[v=8", "lora.alpha_pattern key '[v' is not a valid regular expression")]
    [InlineData("lora.rank_pattern", "q_proj=0", "lora.rank_pattern 'q_proj' is 0; it must be positive")]
    [InlineData("lora.rank_pattern", "q_proj", "lora.rank_pattern entry 'q_proj' is not of the form KEY=VALUE")]
    [InlineData("lora.rank_pattern", "q_proj=x", "lora.rank_pattern")]
    [InlineData("lora.layers_to_transform", "2", "lora.layers_to_transform names layer 2, outside the 2 layers of architecture 'llama'")]
    [InlineData("lora.layers_to_transform", "one", "lora.layers_to_transform")]
    [InlineData("lora.layers_pattern", "layers", "set lora.layers_to_transform too")]
    public void A_bad_value_after_set_is_an_error_naming_the_key(string key, string value, string expected)
    {
        var e = Assert.Throws<RecipeValidationException>(() => Sample().WithOverride(key, value));
        Assert.Contains(expected, e.Message);
    }

    [Fact]
    public void A_regex_with_layers_or_list_targets_is_refused_and_an_exclude_that_matches_nothing_warns()
    {
        var withLayers = Assert.Throws<RecipeValidationException>(() =>
            Sample().WithOverrides([new("lora.target_regex", ".*q_proj"), new("lora.layers_to_transform", "0")]));
        Assert.Contains("cannot be combined with lora.layers_to_transform", withLayers.Message);
        var withTargets = Assert.Throws<RecipeValidationException>(() => Builder(l => l.Target(Llama.QProj).TargetRegex(".*v_proj")).Build());
        Assert.Contains("cannot be combined with targets named as modules", withTargets.Message);

        var warnings = Sample().WithOverride("lora.exclude_modules", "qkv_proj").Validate();
        Assert.Contains("lora.exclude_modules entry 'qkv_proj' matches no module of architecture 'llama'; it excludes nothing", warnings);
    }
}
