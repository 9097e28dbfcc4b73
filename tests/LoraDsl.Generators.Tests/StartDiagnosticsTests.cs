using System.Collections.Immutable;
using LoraDsl.Generators.Tests.Infrastructure;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.Diagnostics;

namespace LoraDsl.Generators.Tests;

/// <summary>
/// LORA027/LORA028: a recipe that starts from other recipes' adapters named by type is checked against those recipes
/// when the compilation is complete. The generator runs first (a typed start needs the generated IRecipe part).
/// </summary>
public sealed class StartDiagnosticsTests
{
    private const string Header = """
        using LoraDsl.Adapters.Combination;
        using LoraDsl.Architectures;
        using LoraDsl.Dsl;
        using LoraDsl.Recipes;

        [LoraRecipe("a", typeof(Llama))]
        public partial class A
        {
            static void Configure(RecipeBuilder r) => r.Model(m => m.FromDirectory("m")).Lora(l => l.Rank(8).Alpha(16).Preset(Preset.QV));
        }

        [LoraRecipe("b16", typeof(Llama))]
        public partial class B16
        {
            static void Configure(RecipeBuilder r) => r.Model(m => m.FromDirectory("m")).Lora(l => l.Rank(16).Alpha(16).Preset(Preset.QV));
        }

        [LoraRecipe("mlp", typeof(Llama))]
        public partial class Mlp
        {
            static void Configure(RecipeBuilder r) => r.Model(m => m.FromDirectory("m")).Lora(l => l.Rank(8).Alpha(16).Preset(Preset.FeedForward));
        }

        [LoraRecipe("g", typeof(Gpt2))]
        public partial class G
        {
            static void Configure(RecipeBuilder r) => r.Model(m => m.FromDirectory("m")).Lora(l => l.Rank(8).Alpha(16).Target("c_attn"));
        }

        """;

    private static IReadOnlyList<Diagnostic> Analyze(string recipes)
    {
        var (output, _) = TestCompilation.Generate(("Recipes.cs", Header + recipes));
        Assert.Empty(TestCompilation.Errors(output));
        return output.WithAnalyzers(ImmutableArray.Create<DiagnosticAnalyzer>(new LoraDslAnalyzer()))
            .GetAnalyzerDiagnosticsAsync().GetAwaiter().GetResult()
            .Where(d => d.Id is "LORA027" or "LORA028").OrderBy(d => d.Location.SourceSpan.Start).ToList();
    }

    // The diagnostic's span is the text `marked`, on the line that contains `line`.
    private static void At(Diagnostic diagnostic, string line, string marked)
    {
        var text = diagnostic.Location.SourceTree!.GetText().ToString();
        Assert.Equal(marked, text.Substring(diagnostic.Location.SourceSpan.Start, diagnostic.Location.SourceSpan.Length));
        var lineText = diagnostic.Location.SourceTree.GetText().Lines[diagnostic.Location.GetLineSpan().StartLinePosition.Line].ToString();
        Assert.Contains(line, lineText);
    }

    [Fact]
    public void Continuing_an_adapter_of_another_rank_or_alpha_is_LORA027_at_the_Adapter_call()
    {
        var found = Analyze("""
            [LoraRecipe("rank", typeof(Llama))]
            public partial class Rank
            {
                static void Configure(RecipeBuilder r) => r.Lora(l => l.Rank(4).Alpha(16).Preset(Preset.QV)).StartFrom(s => s.Adapter<A>());
            }

            [LoraRecipe("alpha", typeof(Llama))]
            public partial class Alpha
            {
                static void Configure(RecipeBuilder r) => r.Lora(l => l.Rank(8).Alpha(32).Preset(Preset.QV)).StartFrom(s => s.Adapter<A>());
            }

            [LoraRecipe("same", typeof(Llama))]
            public partial class Same
            {
                static void Configure(RecipeBuilder r) => r.Lora(l => l.Rank(8).Alpha(16).Target(ModuleRole.Query, ModuleRole.Value)).StartFrom(s => s.Adapter<A>());
            }
            """);
        Assert.Equal(2, found.Count);
        Assert.Equal("Recipe 'rank' starts from recipe 'a' (lora.r 8), but its own lora.r is 4; make them equal or start from another adapter", found[0].GetMessage());
        At(found[0], "l.Rank(4)", "Adapter<A>");
        Assert.Equal(DiagnosticSeverity.Error, found[0].Severity);
        Assert.Equal("Recipe 'alpha' starts from recipe 'a' (lora.alpha 16), but its own lora.alpha is 32; make them equal or start from another adapter", found[1].GetMessage());
    }

    [Fact]
    public void A_start_with_modules_the_recipe_does_not_target_or_lacks_is_LORA027()
    {
        var found = Analyze("""
            [LoraRecipe("fewer", typeof(Llama))]
            public partial class Fewer
            {
                static void Configure(RecipeBuilder r) => r.Lora(l => l.Rank(8).Alpha(16).Target("q_proj")).StartFrom(s => s.Adapter<A>());
            }

            [LoraRecipe("more", typeof(Llama))]
            public partial class More
            {
                static void Configure(RecipeBuilder r) => r.Lora(l => l.Rank(8).Alpha(16).Preset(Preset.QKVO)).StartFrom(s => s.Adapter<A>());
            }
            """);
        Assert.Equal(2, found.Count);
        Assert.Equal("Recipe 'fewer' starts from recipe 'a', which adapts module 'model.layers.0.self_attn.v_proj' that this recipe does not target; add the target or start from another adapter (its weights would be dropped)", found[0].GetMessage());
        Assert.Equal("Recipe 'more' starts from recipe 'a', which does not adapt module 'model.layers.0.self_attn.k_proj' that this recipe targets; remove the target or start from an adapter that has it", found[1].GetMessage());
    }

    [Fact]
    public void Linear_over_unequal_ranks_or_disjoint_targets_is_LORA028_and_cat_sums_the_ranks()
    {
        var found = Analyze("""
            [LoraRecipe("ranks", typeof(Llama))]
            public partial class Ranks
            {
                static void Configure(RecipeBuilder r) => r.Lora(l => l.Rank(8).Preset(Preset.QV))
                    .StartFrom(s => s.Adapter<A>(0.5).Adapter<B16>(0.5).Combine(CombinationMethod.Linear));
            }

            [LoraRecipe("disjoint", typeof(Llama))]
            public partial class Disjoint
            {
                static void Configure(RecipeBuilder r) => r.Lora(l => l.Rank(8).Preset(Preset.QV).Preset(Preset.FeedForward))
                    .StartFrom(s => s.Adapter<A>(0.5).Adapter<Mlp>(0.5).Combine(CombinationMethod.Linear));
            }

            [LoraRecipe("cat-rank", typeof(Llama))]
            public partial class CatRank
            {
                static void Configure(RecipeBuilder r) => r.Lora(l => l.Rank(16).Preset(Preset.QV))
                    .StartFrom(s => s.Adapter<A>(0.5).Adapter<B16>(0.5).Combine(CombinationMethod.Cat));
            }

            [LoraRecipe("cat-union", typeof(Llama))]
            public partial class CatUnion
            {
                // Disjoint targets are fine with cat (their union), and r = 8 + 8.
                static void Configure(RecipeBuilder r) => r.Lora(l => l.Rank(16).Preset(Preset.QV).Preset(Preset.FeedForward))
                    .StartFrom(s => s.Adapter<A>(0.5).Adapter<Mlp>(0.5).Combine(CombinationMethod.Cat));
            }
            """);
        Assert.Equal(3, found.Count);
        Assert.Equal("LORA028", found[0].Id);
        Assert.Equal("Combination 'linear' needs adapters of equal rank, got 'a' r=8, 'b16' r=16; use cat (ranks add up) or an svd form (svd, ties_svd, ...) instead", found[0].GetMessage());
        At(found[0], "Combine(CombinationMethod.Linear)", "CombinationMethod.Linear");
        Assert.Equal("LORA028", found[1].Id);
        Assert.Equal("Combination 'linear': adapters 'a', 'mlp' have no module in common (their targets are disjoint); use cat, which stacks them into their union", found[1].GetMessage());
        Assert.Equal("LORA027", found[2].Id);
        Assert.Equal("Recipe 'cat-rank' starts from the cat combination of 'a', 'b16' (rank 24), but its own lora.r is 16; make them equal or start from another adapter", found[2].GetMessage());
    }

    [Fact]
    public void A_cycle_another_architecture_and_AdaLora_are_LORA027()
    {
        var found = Analyze("""
            [LoraRecipe("x", typeof(Llama))]
            public partial class X
            {
                static void Configure(RecipeBuilder r) => r.Lora(l => l.Rank(8).Alpha(16).Preset(Preset.QV)).StartFrom(s => s.Adapter<Y>());
            }

            [LoraRecipe("y", typeof(Llama))]
            public partial class Y
            {
                static void Configure(RecipeBuilder r) => r.Lora(l => l.Rank(8).Alpha(16).Preset(Preset.QV)).StartFrom(s => s.Adapter<X>());
            }

            [LoraRecipe("cross", typeof(Llama))]
            public partial class Cross
            {
                static void Configure(RecipeBuilder r) => r.Lora(l => l.Rank(8).Alpha(16).Preset(Preset.QV)).StartFrom(s => s.Adapter<G>());
            }

            [LoraRecipe("ada", typeof(Llama))]
            public partial class Ada
            {
                static void Configure(RecipeBuilder r) => r.Lora(l => l.Rank(8).Alpha(16).Preset(Preset.QV).AdaLora()).StartFrom(s => s.Adapter<A>());
            }
            """);
        Assert.Equal(4, found.Count);
        Assert.Equal("Recipe 'x' starts from its own adapter through x -> y -> x; a recipe cannot start from what it trains", found[0].GetMessage());
        Assert.Equal("Recipe 'y' starts from its own adapter through y -> x -> y; a recipe cannot start from what it trains", found[1].GetMessage());
        Assert.Equal("Recipe 'cross' starts from recipe 'g' of architecture 'gpt2', but it is a 'llama' recipe; start from an adapter of the same architecture", found[2].GetMessage());
        Assert.Equal("A recipe that starts from an adapter trains plain LoRA adapters: AdaLoRA cannot continue from saved A and B; turn it off or start fresh", found[3].GetMessage());
    }

    [Fact]
    public void A_start_that_fits_and_starts_named_by_folder_report_nothing()
    {
        var found = Analyze("""
            [LoraRecipe("fits", typeof(Llama))]
            public partial class Fits
            {
                static void Configure(RecipeBuilder r) => r.Lora(l => l.Rank(16).Alpha(16).Preset(Preset.QV))
                    .StartFrom(s => s.Adapter<A>(0.5).Adapter<B16>(0.5).Combine(CombinationMethod.Svd));
            }

            [LoraRecipe("folder", typeof(Llama))]
            public partial class Folder
            {
                static void Configure(RecipeBuilder r) => r.Lora(l => l.Rank(2).Preset(Preset.QV)).StartFrom(s => s.Adapter("runs/x/adapter"));
            }
            """);
        Assert.Empty(found);
    }
}
