using LoraDsl.Dsl;
using LoraDsl.Lora;
using Xunit;

namespace LoraDsl.Tests.Selection;

/// <summary>
/// PEFT's selection rules on module paths, as its code and docs state them (tuners_utils.check_target_module_exists,
/// utils.other.get_pattern_key, LoraConfig's rank_pattern/alpha_pattern docs); each row is PEFT's answer, worked out by hand.
/// </summary>
public class PeftSelectionRuleTests
{
    const string Q0 = "model.layers.0.self_attn.q_proj", V0 = "model.layers.0.self_attn.v_proj", Q1 = "model.layers.1.self_attn.q_proj", V1 = "model.layers.1.self_attn.v_proj";

    // get_pattern_key: re.match(rf"(.*\.)?({key})$", name), first key in dict order; no key = the default r / lora_alpha.
    [Theory]
    [InlineData("q_proj", Q0, true)]                                        // a name matches the last segment
    [InlineData("q_proj", "model.layers.0.self_attn.qq_proj", false)]      // but not the end of a longer segment
    [InlineData("self_attn.q_proj", Q1, true)]                              // several segments
    [InlineData(@"layers\.0\.self_attn\.q_proj", Q1, false)]               // an index in the key picks one layer
    [InlineData(@"layers\.0\.self_attn\.q_proj", Q0, true)]
    [InlineData("^model.layers.0.self_attn.q_proj", Q0, true)]             // LoraConfig's documented "^model..." form
    [InlineData("q_proj|v_proj", V1, true)]                                 // the key is a group: alternation works at the end
    [InlineData("proj", Q0, false)]                                         // no partial segment
    [InlineData("model.layers.0.self_attn.q_proj", Q0, true)]              // the full path
    public void A_pattern_key_matches_the_end_of_the_module_name(string key, string path, bool matches) =>
        Assert.Equal(matches, PeftModuleMatch.PatternKey([key], path) == key);

    [Fact]
    public void The_first_matching_key_in_order_wins()
    {
        Assert.Equal("q_proj", PeftModuleMatch.PatternKey(["q_proj", @"layers\.0\..*"], Q0));
        Assert.Equal(@"layers\.0\..*", PeftModuleMatch.PatternKey([@"layers\.0\..*", "q_proj"], Q0));
        Assert.Null(PeftModuleMatch.PatternKey(["k_proj"], Q0));
    }

    // Per-module rank, alpha and so scaling: lora_alpha / r (rsLoRA: lora_alpha / sqrt(r)) with the module's own r and alpha.
    [Theory]
    [InlineData(Q0, false, 16, 32, 2.0)]     // rank_pattern q_proj=16, alpha_pattern layers.0.*=32
    [InlineData(Q1, false, 16, 8, 0.5)]      // rank 16, default alpha 8
    [InlineData(V0, false, 4, 32, 8.0)]      // default rank 4, alpha 32
    [InlineData(V1, false, 4, 8, 2.0)]       // neither pattern: r 4, alpha 8
    [InlineData(Q0, true, 16, 32, 8.0)]      // rsLoRA: 32 / sqrt(16)
    public void Each_module_gets_its_rank_alpha_and_scaling(string path, bool rsLora, int rank, double alpha, double scaling)
    {
        var options = new LoraOptions
        {
            Rank = 4,
            Alpha = 8,
            UseRsLora = rsLora,
            RankPattern = new Dictionary<string, int> { ["q_proj"] = 16 },
            AlphaPattern = new Dictionary<string, double> { [@"layers\.0\..*"] = 32 },
        }.ForModule(path);
        Assert.Equal((rank, alpha, scaling), (options.Rank, options.Alpha, options.Scaling));
    }

    // check_target_module_exists after the targets matched: exclude_modules first, then layers_to_transform (+ layers_pattern).
    [Theory]
    [InlineData(new string[0], new int[0], null, Q0, true)]
    [InlineData(new[] { "q_proj" }, new int[0], null, Q1, false)]                 // a suffix excludes it in every layer
    [InlineData(new[] { V0 }, new int[0], null, V0, false)]                         // a full path excludes one module
    [InlineData(new[] { V0 }, new int[0], null, V1, true)]
    [InlineData(new[] { "proj" }, new int[0], null, Q0, true)]                     // no partial segment
    [InlineData(new string[0], new[] { 1 }, null, Q0, false)]                      // layer 0 is not listed
    [InlineData(new string[0], new[] { 1 }, null, Q1, true)]
    [InlineData(new string[0], new[] { 1 }, "layers", Q1, true)]
    [InlineData(new string[0], new[] { 1 }, "h", Q1, false)]                       // the pattern names another module list
    [InlineData(new string[0], new[] { 0 }, null, "lm_head", false)]              // no layer index: not in any listed layer
    [InlineData(new string[0], new[] { 1 }, null, "model.layers.1.mlp.experts.0.down_proj", true)] // the first index is the layer
    [InlineData(new[] { "v_proj" }, new[] { 1 }, null, V1, false)]                // excluded even in a listed layer
    public void Exclude_and_layers_narrow_what_the_targets_selected(string[] exclude, int[] layers, string? pattern, string path, bool selected)
    {
        var selection = new ModuleSelection { ExcludeModules = exclude, LayersToTransform = layers, LayersPattern = pattern };
        Assert.Equal(selected, selection.Selects(path));
    }

    [Theory]
    [InlineData(@".*\.(q_proj|v_proj)", Q1, true)]
    [InlineData(@".*\.(q_proj|v_proj)", "model.layers.1.self_attn.o_proj", false)]
    [InlineData("q_proj", Q0, false)]                                             // a string target must match the whole name
    [InlineData(@"model\.layers\.0\..*_proj", Q1, false)]
    public void A_string_target_is_a_full_match_regex(string regex, string path, bool selected) =>
        Assert.Equal(selected, PeftModuleMatch.FullMatch(regex).IsMatch(path));
}
