using LoraDsl.Generators.Tests.Infrastructure;

namespace LoraDsl.Generators.Tests;

/// <summary>PEFT's selection options in the DSL, checked while typing (LORA032-036) with the texts the run time throws for --set.</summary>
public sealed class SelectionAnalyzerTests
{
    private const string Usings = """
        using LoraDsl.Architectures;
        using LoraDsl.Dsl;
        using LoraDsl.Recipes;

        """;

    [Fact]
    public Task Valid_selection_options_and_all_linear_report_nothing() => Verify.Analyzer(Usings + """
        [LoraRecipe("r", typeof(Llama), KnownDepth = 2)]
        public partial class R
        {
            static void Configure(RecipeBuilder r) => r.Lora(l => l.Target("all-linear").Exclude(Llama.OProj, Llama.LmHead)
                .LayersToTransform(0, 1).LayersPattern("layers").RankPattern(Llama.QProj, 16).RankPattern(@"layers\.1\.self_attn\.v_proj", 4)
                .AlphaPattern("^model.layers.0.mlp.down_proj", 32));
        }
        """);

    [Fact]
    public Task LORA032_InvalidRegex() => Verify.Analyzer(Usings + """
        [LoraRecipe("r", typeof(Llama))]
        public partial class R
        {
            static void Configure(RecipeBuilder r) => r.Lora(l => l.TargetRegex({|LORA032:"(q_proj"|}).RankPattern({|LORA032:"[q", 8|}));
        }
        """);

    [Fact]
    public Task LORA033_PatternKeyMatchingNoModule() => Verify.Analyzer(Usings + """
        [LoraRecipe("r", typeof(Llama))]
        public partial class R
        {
            static void Configure(RecipeBuilder r) => r.Lora(l => l.Target(Llama.QProj).RankPattern({|#0:"qproj", 8|}).AlphaPattern({|LORA033:Gpt2.CAttn, 8|}));
        }
        """, null,
        Microsoft.CodeAnalysis.Testing.DiagnosticResult.CompilerError("LORA033").WithLocation(0)
            .WithMessage("lora.rank_pattern key 'qproj' matches no module of architecture 'llama' (PEFT matches it against the end of a module path, e.g. "
                + "'model.layers.0.self_attn.q_proj', 'model.layers.1.self_attn.q_proj', 'model.layers.2.self_attn.q_proj'); fix the key or remove it"));

    [Fact]
    public Task LORA033_RegexTargetMatchingNoModule() => Verify.Analyzer(Usings + """
        [LoraRecipe("r", typeof(Llama))]
        public partial class R
        {
            static void Configure(RecipeBuilder r) => r.Lora(l => l.TargetRegex({|LORA033:@".*\.qkv_proj"|}));
        }
        """);

    [Fact]
    public Task LORA034_LayerToTransformBeyondKnownDepth() => Verify.Analyzer(Usings + """
        [LoraRecipe("r", typeof(Llama), KnownDepth = 2)]
        public partial class R
        {
            static void Configure(RecipeBuilder r) => r.Lora(l => l.Target(Llama.QProj).LayersToTransform({|#0:0, 2|}));
        }
        """, null,
        Microsoft.CodeAnalysis.Testing.DiagnosticResult.CompilerError("LORA034").WithLocation(0)
            .WithMessage("lora.layers_to_transform names layer 2, outside the 2 layers of architecture 'llama'; use indices 0..1"));

    [Fact]
    public Task LORA035_ExcludeMatchingNothing() => Verify.Analyzer(Usings + """
        [LoraRecipe("r", typeof(Llama))]
        [Setting("lora.exclude_modules", {|LORA035:"qkv_proj"|})]
        public partial class R
        {
            static void Configure(RecipeBuilder r) => r.Lora(l => l.Target(Llama.QProj).Exclude("k_proj", {|LORA035:"gate"|}));
        }
        """);

    [Fact]
    public Task LORA036_OptionsPeftRefusesTogether() => Verify.Analyzer(Usings + """
        [LoraRecipe("r", typeof(Llama))]
        public partial class R
        {
            static void Configure(RecipeBuilder r) => r.Lora(l => l.Target(Llama.QProj).TargetRegex({|LORA036:".*v_proj"|}));
        }

        [LoraRecipe("s", typeof(Llama))]
        public partial class S
        {
            static void Configure(RecipeBuilder r) => r.Lora(l => l.Target(Llama.QProj).LayersPattern({|LORA036:"layers"|}));
        }
        """);
}
