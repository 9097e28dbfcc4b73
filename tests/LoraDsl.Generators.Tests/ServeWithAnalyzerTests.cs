using LoraDsl.Generators.Tests.Infrastructure;

namespace LoraDsl.Generators.Tests;

/// <summary>LORA030: r.ServeWith(Server.X(..)) checks the recipe against that server's rules (ServingRules), one rule per test.</summary>
public sealed class ServeWithAnalyzerTests
{
    private const string Usings = """
        using LoraDsl.Architectures;
        using LoraDsl.Dsl;
        using LoraDsl.Lora;
        using LoraDsl.Recipes;

        """;

    [Fact]
    public Task Dora_for_vllm_is_reported_on_the_dora_call() => Verify.Analyzer(Usings + """
        [LoraRecipe("r", typeof(Llama))]
        public partial class R
        {
            static void Configure(RecipeBuilder r) => r
                .Lora(l => l.Rank(8).{|LORA030:Dora|}().Target("q_proj", "v_proj"))
                .ServeWith(Server.Vllm(maxLoraRank: 16));
        }
        """);

    [Fact]
    public Task A_rank_above_max_lora_rank_is_reported_on_the_rank_and_a_default_rank_on_serve_with() => Verify.Analyzer(Usings + """
        [LoraRecipe("stated", typeof(Llama))]
        public partial class Stated
        {
            static void Configure(RecipeBuilder r) => r.Lora(l => l.Rank({|LORA030:32|}).Target("q_proj")).ServeWith(Server.Vllm());
        }

        [LoraRecipe("default", typeof(Llama))]
        public partial class Default
        {
            static void Configure(RecipeBuilder r) => r.Lora(l => l.Target("q_proj")).ServeWith({|LORA030:Server.Vllm(maxLoraRank: 8)|});
        }

        [LoraRecipe("fits", typeof(Llama))]
        public partial class Fits
        {
            static void Configure(RecipeBuilder r) => r.Lora(l => l.Rank(64).Target("q_proj")).ServeWith(Server.Vllm(maxLoraRank: 64));
        }
        """);

    [Fact]
    public Task Modules_to_save_for_vllm_is_reported_on_the_modules() => Verify.Analyzer(Usings + """
        [LoraRecipe("r", typeof(Llama))]
        public partial class R
        {
            static void Configure(RecipeBuilder r) => r.Lora(l => l.Rank(8).Target("q_proj").ModulesToSave({|LORA030:"lm_head"|})).ServeWith(Server.Vllm());
        }
        """);

    [Fact]
    public Task A_trained_bias_for_llama_cpp_is_reported_on_the_bias() => Verify.Analyzer(Usings + """
        [LoraRecipe("r", typeof(Llama))]
        public partial class R
        {
            static void Configure(RecipeBuilder r) => r.Lora(l => l.Rank(8).Target("q_proj").Bias({|LORA030:LoraBias.All|})).ServeWith(Server.LlamaCpp());
        }
        """);

    [Fact]
    public Task RsLora_for_sglang_is_reported_and_vllm_scales_it_right() => Verify.Analyzer(Usings + """
        [LoraRecipe("sglang", typeof(Llama))]
        public partial class ForSgLang
        {
            static void Configure(RecipeBuilder r) => r.Lora(l => l.Rank(8).{|LORA030:RsLora|}().Target("q_proj")).ServeWith(Server.SgLang());
        }

        [LoraRecipe("vllm", typeof(Llama))]
        public partial class ForVllm
        {
            static void Configure(RecipeBuilder r) => r.Lora(l => l.Rank(8).RsLora().Target("q_proj")).ServeWith(Server.Vllm());
        }
        """);

    [Fact]
    public Task AdaLora_for_tgi_is_reported_on_the_adalora_call() => Verify.Analyzer(Usings + """
        [LoraRecipe("r", typeof(Llama))]
        public partial class R
        {
            static void Configure(RecipeBuilder r) => r.Lora(l => l.{|LORA030:AdaLora|}().Target("q_proj")).ServeWith(Server.Tgi());
        }
        """);

    [Fact]
    public Task An_embedding_target_for_vllm_is_reported_on_the_target() => Verify.Analyzer(Usings + """
        [LoraRecipe("r", typeof(Llama))]
        public partial class R
        {
            static void Configure(RecipeBuilder r) => r.Lora(l => l.Rank(8).Target("q_proj", {|LORA030:"embed_tokens"|})).ServeWith(Server.Vllm());
        }
        """);

    [Fact]
    public Task Fused_and_unmapped_module_names_are_reported_for_sglang_and_tgi() => Verify.Analyzer(Usings + """
        [LoraRecipe("sglang", typeof(Gpt2))]
        public partial class ForSgLang
        {
            static void Configure(RecipeBuilder r) => r.Lora(l => l.Rank(8).Target({|LORA030:"c_attn"|})).ServeWith(Server.SgLang());
        }

        [LoraRecipe("tgi", typeof(Gpt2))]
        public partial class ForTgi
        {
            static void Configure(RecipeBuilder r) => r.Lora(l => l.Rank(8).Target({|LORA030:"c_fc"|})).ServeWith(Server.Tgi());
        }
        """);

    [Fact]
    public Task The_message_names_the_server_the_rule_and_its_source() => Verify.Analyzer(Usings + """
        [LoraRecipe("r", typeof(Llama))]
        public partial class R
        {
            static void Configure(RecipeBuilder r) => r.Lora(l => l.Rank(8).{|#0:Dora|}().Target("q_proj")).ServeWith(Server.Vllm());
        }
        """, null,
        Microsoft.CodeAnalysis.Testing.DiagnosticResult.CompilerError("LORA030").WithLocation(0)
            .WithMessage("vLLM [dora]: DoRA (use_dora) is not supported; merge instead (vllm/lora/peft_helper.py, PEFTHelper._validate_features)"));

    [Fact]
    public Task A_plain_recipe_served_anywhere_reports_nothing() => Verify.Analyzer(Usings + """
        [LoraRecipe("vllm", typeof(Llama))]
        public partial class A
        {
            static void Configure(RecipeBuilder r) => r.Lora(l => l.Rank(16).Alpha(32).Target("q_proj", "k_proj", "v_proj", "o_proj")).ServeWith(Server.Vllm());
        }

        [LoraRecipe("llama", typeof(Llama))]
        public partial class B
        {
            static void Configure(RecipeBuilder r) => r.Lora(l => l.Rank(64).Target("q_proj", "embed_tokens")).ServeWith(Server.LlamaCpp());
        }

        [LoraRecipe("tgi", typeof(Llama))]
        public partial class C
        {
            static void Configure(RecipeBuilder r) => r.Lora(l => l.Rank(8).RsLora().Target("q_proj", "gate_proj")).ServeWith(Server.Tgi());
        }
        """);
}
