using System.Text.Json.Nodes;
using LoraDsl.Adapters;
using LoraDsl.Architectures;
using LoraDsl.Checkpoints;
using LoraDsl.Data;
using LoraDsl.Dsl;
using LoraDsl.Models;
using LoraDsl.Models.Gpt2;
using LoraDsl.Modules;
using LoraDsl.Recipes;
using LoraDsl.Tests.Lora.TestModels;
using LoraDsl.Tests.TestCheckpoints;
using LoraDsl.Tokenization;
using LoraDsl.Training;
using TorchSharp;
using Xunit;
using static LoraDsl.Tests.Examples.RecipeRuns;
using static TorchSharp.torch;

namespace LoraDsl.Tests.Lora;

// Recipes that target token embeddings; generated in this project (the generator flows to projects referencing src/LoraDsl).
[LoraRecipe("test-embed-llama", typeof(Llama))]
partial class EmbedTokensRecipe
{
    static void Configure(RecipeBuilder r) => r
        .Model(m => m.FromDirectory("models/tiny-llama"))
        .Lora(l => l.Rank(4).Alpha(8).Target(Llama.EmbedTokens, Llama.QProj))
        .Data(d => d.JsonLines(Path.Combine(AppContext.BaseDirectory, "data", "sotu-instructions.jsonl")).InstructionTuning().MaxTokens(256).MaxRecords(40))
        .Training(t => t.LearningRate(1e-2).MaxSteps(3).BatchSize(2).Seed(4));
}

[LoraRecipe("test-embed-gpt2", typeof(Gpt2))]
partial class WteRecipe
{
    static void Configure(RecipeBuilder r) => r
        .Model(m => m.FromDirectory("models/tiny-gpt2"))
        .Lora(l => l.Rank(2).Alpha(4).Target(ModuleRole.Embedding).Target("c_attn"))
        .Data(d => d.JsonLines(Path.Combine(AppContext.BaseDirectory, "data", "sotu-1989-2021.jsonl")).CausalLanguageModeling("text").MaxTokens(32).MaxRecords(10))
        .Training(t => t.LearningRate(1e-2).MaxSteps(3).BatchSize(2).Seed(4));
}

/// <summary>
/// LoRA on token embeddings declared in a recipe (PEFT's lora.Embedding): it trains, saves PEFT's lora_embedding_A/B,
/// loads back with <see cref="ModelAdapters"/> to the logits of W + s·BA written out here; what it cannot combine with fails.
/// </summary>
[Collection(Training.TorchRandomCollection.Name)]
public class EmbeddingRecipeTests
{
    static Tensor Logits(PretrainedModel model, Tensor ids)
    {
        model.eval();
        using var _ = no_grad();
        return model.Forward(new ModelInputs(ids));
    }

    // The same validation split the run evaluated: the recipe with the run's overrides, tokenized again.
    static double ValidationLoss(RecipeDefinition recipe, string checkpoint, PretrainedModel model)
    {
        var data = DatasetBuilder.Build(recipe.Data, TokenizerLoader.Load(checkpoint));
        return Evaluator.Evaluate(model, data, recipe.Training.BatchSize, 0, CPU)!.Loss;
    }

    [Fact]
    public void Llama_recipe_with_embed_tokens_and_q_proj_trains_saves_PEFT_embedding_names_and_reloads_exactly()
    {
        // The llama-instruct example's tiny checkpoint: its SentencePiece tokenizer keeps the instructions short enough.
        var checkpoint = LlamaInstruct.TinyLlama.Write(TinyCheckpoints.NewFolder("emb-recipe-llama"));
        var output = TinyCheckpoints.NewFolder("emb-recipe-llama-run");
        KeyValuePair<string, string>[] overrides = [Set("model.path", checkpoint), Set("training.output_dir", output)];
        var report = EmbedTokensRecipe.Run(Quiet(overrides));

        Assert.Equal(3, report.Training.FinalStep);
        Assert.All(report.Training.Losses, l => Assert.True(double.IsFinite(l)));
        Assert.Equal(1 + LlamaInstruct.TinyLlama.Layers, report.AdaptersPlaced); // embed_tokens, and q_proj in each layer
        Assert.Contains(new LoraDsl.Lora.LoraTarget("model.embed_tokens"), report.Targets);

        var adapter = report.AdapterDirectory!;
        var stored = SafetensorsFile.Open(Path.Combine(adapter, AdapterFiles.WeightsFile));
        using var reloaded = ModelLoader.Load(checkpoint);
        long vocab = reloaded.Config.VocabSize, hidden = LlamaInstruct.TinyLlama.Hidden;
        const string prefix = "base_model.model.model.embed_tokens.";
        Assert.Equal([prefix + "lora_embedding_A", prefix + "lora_embedding_B"], stored.Names.Where(n => n.Contains("embed_tokens")).Order());
        using var a = stored.Read(prefix + "lora_embedding_A");
        using var b = stored.Read(prefix + "lora_embedding_B");
        Assert.Equal([4L, vocab], a.shape);   // [r, vocab]
        Assert.Equal([hidden, 4L], b.shape);  // [dim, r]
        Assert.True(a.count_nonzero().item<long>() > 0, "lora_embedding_A starts at zero; three steps must move it");
        using (var qa = stored.Read("base_model.model.model.layers.1.self_attn.q_proj.lora_A.weight")) Assert.Equal([4L, hidden], qa.shape);
        var config = JsonNode.Parse(File.ReadAllText(Path.Combine(adapter, AdapterFiles.ConfigFile)))!;
        Assert.Equal(["embed_tokens", "q_proj"], config["target_modules"]!.AsArray().Select(n => n!.GetValue<string>()).Order());

        // ModelAdapters gives the run's own last validation loss bit for bit.
        ModelAdapters.Of(reloaded).Load("default", adapter);
        Assert.Equal(report.Training.Evaluations[^1].Loss, ValidationLoss(EmbedTokensRecipe.Build(overrides), checkpoint, reloaded));

        // And the logits of the base with E += s·(BA)ᵀ and each q_proj's W += s·BA, s = 8 / 4.
        using var byHand = ModelLoader.Load(checkpoint);
        using (no_grad())
        {
            var table = ((TorchSharp.Modules.Embedding)ModuleSurgery.Find(byHand, "model.embed_tokens")).weight!;
            using var delta = matmul(b, a).t().mul(2.0);
            table.add_(delta);
            for (var layer = 0; layer < LlamaInstruct.TinyLlama.Layers; layer++)
            {
                var path = $"model.layers.{layer}.self_attn.q_proj";
                using var qa = stored.Read($"base_model.model.{path}.lora_A.weight");
                using var qb = stored.Read($"base_model.model.{path}.lora_B.weight");
                using var qDelta = matmul(qb, qa).mul(2.0);
                ((TorchSharp.Modules.Linear)ModuleSurgery.Find(byHand, path)).weight!.add_(qDelta);
            }
        }
        using var ids = tensor(new long[] { 5, 17, 42, 3, 17, 200 }).reshape(1, 6);
        using var want = Logits(byHand, ids);
        using var got = Logits(reloaded, ids);
        Assert.True(want.allclose(got, rtol: 0, atol: 1e-4));
    }

    [Fact]
    public void Gpt2_recipe_on_wte_adapts_the_lookup_only_and_the_tied_head_keeps_the_checkpoint_table()
    {
        var checkpoint = TinyCheckpoints.WriteGpt2(TinyCheckpoints.NewFolder("emb-recipe-gpt2"));
        var output = TinyCheckpoints.NewFolder("emb-recipe-gpt2-run");
        KeyValuePair<string, string>[] overrides = [Set("model.path", checkpoint), Set("training.output_dir", output)];
        var report = WteRecipe.Run(Quiet(overrides));

        Assert.Equal(3, report.Training.FinalStep);
        Assert.All(report.Training.Losses, l => Assert.True(double.IsFinite(l)));
        var adapter = report.AdapterDirectory!;
        var stored = SafetensorsFile.Open(Path.Combine(adapter, AdapterFiles.WeightsFile));
        const string prefix = "base_model.model.transformer.wte.";
        Assert.DoesNotContain(stored.Names, n => n.Contains("lm_head"));
        using var a = stored.Read(prefix + "lora_embedding_A");
        using var b = stored.Read(prefix + "lora_embedding_B");
        Assert.Equal([2L, TinyCheckpoints.ByteLevelVocabSize], a.shape);
        Assert.Equal([32L, 2L], b.shape);
        Assert.True(a.count_nonzero().item<long>() > 0);

        using var reloaded = ModelLoader.Load(checkpoint);
        ModelAdapters.Of(reloaded).Load("default", adapter);
        Assert.Equal(report.Training.Evaluations[^1].Loss, ValidationLoss(WteRecipe.Build(overrides), checkpoint, reloaded));
        // The head still multiplies by the checkpoint's table: adapting wte changes the lookup, not the tied head (as PEFT).
        using var original = SafetensorsFile.Open(Directory.GetFiles(checkpoint, "*.safetensors").Single()).Read("wte.weight");
        var head = ((TorchSharp.Modules.Linear)((Gpt2LMHeadModel)reloaded).OutputHead).weight!;
        Assert.True(Identical.Tensors(original, head.detach()));

        // By hand: an untied copy of the head on the checkpoint table, the lookup on E + s·(BA)ᵀ (s = 4 / 2), c_attn W += s·(BA)ᵀ.
        using var byHand = ModelLoader.Load(checkpoint);
        using (no_grad())
        {
            var gpt2 = (Gpt2LMHeadModel)byHand;
            var untied = (TorchSharp.Modules.Linear)gpt2.OutputHead;
            untied.weight = new TorchSharp.Modules.Parameter(original.clone(), requires_grad: false);
            using var delta = matmul(b, a).t().mul(2.0);
            ((TorchSharp.Modules.Embedding)ModuleSurgery.Find(byHand, "transformer.wte")).weight!.add_(delta);
            for (var layer = 0; layer < 2; layer++)
            {
                var path = $"transformer.h.{layer}.attn.c_attn";
                using var ca = stored.Read($"base_model.model.{path}.lora_A.weight");
                using var cb = stored.Read($"base_model.model.{path}.lora_B.weight");
                using var cDelta = matmul(cb, ca).t().mul(2.0);   // Conv1D stores [in, out]
                ((Conv1D)ModuleSurgery.Find(byHand, path)).Weight.add_(cDelta);
            }
        }
        using var ids = tensor(new long[] { 5, 17, 42, 3, 17, 200 }).reshape(1, 6);
        using var want = Logits(byHand, ids);
        using var got = Logits(reloaded, ids);
        Assert.True(want.allclose(got, rtol: 0, atol: 1e-4));
    }

    [Theory]
    [InlineData("lora.use_dora", "true", "DoRA supports Linear and Conv1D modules only; module 'model.embed_tokens' is an Embedding")]
    [InlineData("lora.init", "pissa", "lora.init=pissa starts LoRA from the weight's SVD on Linear and Conv1D modules only; module 'model.embed_tokens' is an Embedding")]
    [InlineData("lora.init", "olora", "lora.init=olora starts LoRA")]
    [InlineData("lora.use_adalora", "true", "AdaLoRA adapts Linear and Conv1D modules only (as PEFT's AdaLoraModel); module 'model.embed_tokens' is an Embedding")]
    public void An_override_that_embedding_LoRA_cannot_take_fails_when_the_recipe_is_built(string key, string value, string message)
    {
        var error = Assert.Throws<RecipeValidationException>(() => EmbedTokensRecipe.Build([Set(key, value)]));
        Assert.StartsWith("Recipe 'test-embed-llama': ", error.Message);
        Assert.Contains(message, error.Message);
        // The same override on a recipe without an embedding target builds.
        Assert.NotNull(Tests.Dsl.FluentChatRecipe.Build([Set(key, value)]));
    }
}
