using LoraDsl.Architectures;
using LoraDsl.Recipes;
using Xunit;

namespace LoraDsl.Tests.Deploy;

/// <summary>RecipeDefinition.Validate applies ServeWith's server rules to what --set overrides make of a recipe (LORA030's table).</summary>
public class ServeWithValidationTests
{
    static RecipeDefinition ForVllm(int maxLoraRank = 16) => new RecipeBuilder("served", Llama.Descriptor)
        .Model(m => m.FromDirectory("models/llama"))
        .Lora(l => l.Rank(8).Target(Llama.QProj, Llama.VProj))
        .Data(d => d.JsonLines("data/train.jsonl").CausalLanguageModeling())
        .ServeWith(Server.Vllm(maxLoraRank))
        .Build();

    [Fact]
    public void A_recipe_vllm_loads_builds_and_records_its_server()
    {
        var recipe = ForVllm();
        Assert.Equal("vllm", recipe.ServeWith!.Name);
        Assert.Equal(16, recipe.ServeWith.MaxLoraRank);
    }

    [Theory]
    [InlineData("lora.use_dora", "true", "[dora]")]
    [InlineData("lora.r", "32", "rank 32 is above max_lora_rank 16")]
    [InlineData("lora.modules_to_save", "lm_head", "[modules_to_save]")]
    [InlineData("lora.bias", "all", "[bias]")]
    [InlineData("lora.use_adalora", "true", "[adalora]")]
    public void An_override_vllm_cannot_load_is_refused_before_training_with_the_servers_source(string key, string value, string expected)
    {
        var error = Assert.Throws<RecipeValidationException>(() => ForVllm().WithOverride(key, value));
        Assert.Contains("served with vLLM (max_lora_rank 16)", error.Message);
        Assert.Contains(expected, error.Message);
        Assert.Contains("vllm/lora/", error.Message);
    }

    [Fact]
    public void RsLora_passes_for_vllm_and_is_refused_for_sglang_and_llama_cpp()
    {
        Assert.True(ForVllm().WithOverride("lora.use_rslora", "true").Lora.UseRsLora);
        foreach (var server in new[] { Server.SgLang(), Server.LlamaCpp() })
        {
            var recipe = ForVllm() with { ServeWith = server };
            var error = Assert.Throws<RecipeValidationException>(() => recipe.WithOverride("lora.use_rslora", "true"));
            Assert.Contains("[rslora]", error.Message);
        }
    }

    [Fact]
    public void An_embedding_target_is_refused_for_vllm_but_not_for_llama_cpp()
    {
        RecipeDefinition Build(Server server) => new RecipeBuilder("emb", Llama.Descriptor)
            .Model(m => m.FromDirectory("models/llama"))
            .Lora(l => l.Rank(8).Target(Llama.QProj, Llama.EmbedTokens))
            .Data(d => d.JsonLines("data/train.jsonl").CausalLanguageModeling())
            .ServeWith(server)
            .Build();
        Assert.Contains("[embedding]", Assert.Throws<RecipeValidationException>(() => Build(Server.Vllm())).Message);
        Assert.Equal(Server.LlamaCpp(), Build(Server.LlamaCpp()).ServeWith);
    }
}
