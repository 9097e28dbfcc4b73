using LoraDsl.Generators.Tests.Infrastructure;

namespace LoraDsl.Generators.Tests;

public sealed class AnalyzerTests
{
    private const string Usings = """
        using LoraDsl.Architectures;
        using LoraDsl.Dsl;
        using LoraDsl.Recipes;

        """;

    [Fact]
    public Task LORA001_UnknownModuleInAttribute() => Verify.Analyzer(Usings + """
        [LoraRecipe("r", typeof(Llama))]
        [Target({|LORA001:"qproj"|})]
        public partial class R;
        """);

    [Fact]
    public Task LORA001_UnknownModuleInFluentChain() => Verify.Analyzer(Usings + """
        [LoraRecipe("r", typeof(Llama))]
        public partial class R
        {
            static void Configure(RecipeBuilder r) => r.Lora(l => l.Rank(8).Target("v_proj", {|LORA001:"k_prj"|}));
        }
        """);

    [Fact]
    public Task LORA001_HandleOfAnotherArchitecture() => Verify.Analyzer(Usings + """
        [LoraRecipe("r", typeof(Llama))]
        public partial class R
        {
            static void Configure(RecipeBuilder r) => r.Lora(l => l.Target(Llama.QProj, {|LORA001:Gpt2.CAttn|}));
        }
        """);

    [Fact]
    public Task LORA002_RoleTheArchitectureLacks() => Verify.Analyzer(Usings + """
        [LoraRecipe("r", typeof(Bert))]
        [Target(ModuleRole.Query)]
        [Target({|LORA002:ModuleRole.FfnGate|})]
        public partial class R;
        """);

    [Fact]
    public Task LORA003_RankNotPositive() => Verify.Analyzer(Usings + """
        [LoraRecipe("r", typeof(Llama))]
        [Lora(Rank = {|LORA003:0|})]
        public partial class R
        {
            static void Configure(RecipeBuilder r) => r.Lora(l => l.Rank({|LORA003:-4|}));
        }
        """);

    [Fact]
    public Task LORA004_AlphaNotPositive() => Verify.Analyzer(Usings + """
        [LoraRecipe("r", typeof(Llama))]
        [Lora(Rank = 8, Alpha = {|LORA004:-1.5|})]
        public partial class R;
        """);

    [Fact]
    public Task LORA005_DropoutOutsideUnitInterval() => Verify.Analyzer(Usings + """
        [LoraRecipe("r", typeof(Llama))]
        public partial class R
        {
            static void Configure(RecipeBuilder r) => r.Lora(l => l.Dropout({|LORA005:1.0|}));
        }
        """);

    [Fact]
    public Task LORA006_LayersOutsideKnownDepth() => Verify.Analyzer(Usings + """
        [LoraRecipe("r", typeof(Bert), KnownDepth = 6)]
        [Target("query", Layers = "0..6")]
        [Target("value", Layers = {|LORA006:"4..8"|})]
        public partial class R;
        """);

    [Fact]
    public Task LORA007_DuplicateAndOverlappingTargets() => Verify.Analyzer(Usings + """
        [LoraRecipe("r", typeof(Llama))]
        [Target("q_proj", Layers = "0..4")]
        [Target("q_proj", Layers = "4..8")]
        [TargetPreset({|LORA007:Preset.QV|})]
        public partial class R;
        """);

    [Fact]
    public Task LORA008_LayersOnSharedModuleAndDoraOnEmbedding() => Verify.Analyzer(Usings + """
        [LoraRecipe("r", typeof(Llama))]
        [Lora(UseDora = true)]
        [Target("lm_head", Layers = {|LORA008:"0..2"|})]
        [Target({|LORA008:"embed_tokens"|})]
        public partial class R;
        """);

    [Fact]
    public Task LORA009_RecipeNotPartial() => Verify.Analyzer(Usings + """
        [LoraRecipe("r", typeof(Llama))]
        public class {|LORA009:R|} { }
        """);

    [Fact]
    public Task LORA010_TwoRecipesWithOneName() => Verify.Analyzer(Usings + """
        [LoraRecipe("same", typeof(Llama))]
        public partial class A;

        [LoraRecipe({|LORA010:"same"|}, typeof(Gpt2))]
        public partial class B;
        """);

    [Fact]
    public Task LORA011_MalformedPathTemplate() => Verify.Analyzer(Usings + """
        [LoraArchitecture("broken")]
        [LoraModule("q", {|LORA011:"layers..{layer}.q"|}, ModuleKind.Linear, ModuleRole.Query)]
        [LoraModule("k", {|LORA011:"layers.{index}.k"|}, ModuleKind.Linear, ModuleRole.Key)]
        public static partial class Broken;
        """);

    [Fact]
    public Task LORA012_DuplicateModuleName() => Verify.Analyzer(Usings + """
        [LoraArchitecture("twice")]
        [LoraModule("q", "layers.{layer}.q", ModuleKind.Linear, ModuleRole.Query)]
        [LoraModule({|LORA012:"q"|}, "layers.{layer}.query", ModuleKind.Linear, ModuleRole.Query)]
        public static partial class Twice;
        """);

    [Fact]
    public Task LORA013_ArchitectureTypeWithoutDeclaration() => Verify.Analyzer(Usings + """
        [LoraRecipe("r", {|LORA013:typeof(string)|})]
        public partial class R;
        """);

    [Fact]
    public Task LORA014_MalformedLayers() => Verify.Analyzer(Usings + """
        [LoraRecipe("r", typeof(Llama))]
        public partial class R
        {
            static void Configure(RecipeBuilder r) => r.Lora(l => l.TargetLayers({|LORA014:"3..1"|}, "q_proj"));
        }
        """);

    [Fact]
    public Task ValidRecipes_ReportNothing_AndNonConstantsAreLeftToRunTime() => Verify.Analyzer(Usings + """
        [LoraRecipe("gpt", typeof(Gpt2), KnownDepth = 12)]
        [Lora(Rank = 8, Alpha = 16, Dropout = 0.1)]
        [Target(ModuleRole.Query)]
        [Target(ModuleRole.Value)]
        [Target("dense")]
        public partial class Gpt;

        [LoraRecipe("bert", typeof(Bert))]
        public partial class BertRecipe
        {
            static int rank = 0;
            static string layers = "99";
            static void Configure(RecipeBuilder r) => r
                .Lora(l => l.Rank(rank).Target(ModuleRole.Query).TargetLayers(layers, "value").Target("dense"))
                .Model(m => m.BuiltIn("minilm"));
        }
        """,
        // "dense" is unknown on GPT-2 (no suffix match); on BERT it selects the three dense layers.
        Microsoft.CodeAnalysis.Testing.DiagnosticResult.CompilerError("LORA001").WithSpan(8, 9, 8, 16));
}
