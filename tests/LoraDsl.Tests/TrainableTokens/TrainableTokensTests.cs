using System.Text.Json.Nodes;
using LoraDsl.Adapters;
using LoraDsl.Checkpoints;
using LoraDsl.Lora;
using LoraDsl.Models;
using LoraDsl.Modules;
using LoraDsl.Recipes.Settings;
using LoraDsl.Tests.TestCheckpoints;
using LoraDsl.TrainableTokens;
using TorchSharp;
using TorchSharp.Modules;
using Xunit;
using static TorchSharp.torch;

namespace LoraDsl.Tests.TrainableTokens;

/// <summary>
/// PEFT's trainable_token_indices: the layer against an embedding whose rows are replaced by hand, gradients, PEFT's file and
/// config names, round trip, merge, ensure_weight_tying's refusal and the --set spelling.
/// </summary>
[Collection(Training.TorchRandomCollection.Name)]
public class TrainableTokensTests
{
    static readonly int[] Tokens = [3, 17, 99];

    static string Checkpoint(string label, bool tied) =>
        TinyCheckpoints.WriteLlama(TinyCheckpoints.NewFolder(label), new TinyLlamaSpec { TieWordEmbeddings = tied });

    static LoraInjection Inject(PretrainedModel model, LoraOptions? options = null) =>
        LoraInjector.Inject(model, options ?? new LoraOptions { Rank = 2, Alpha = 4, TrainableTokens = new TrainableTokenSelection().WithInputEmbedding(Tokens.Select(TrainableToken.OfId)) },
            [new LoraTarget("model.layers.0.self_attn.q_proj")]);

    static Tensor RandomRows(int seed, long rows, long width)
    {
        var generator = new Generator((ulong)seed);
        return randn([rows, width], generator: generator);
    }

    static void SetDelta(LoraInjection injection, Tensor rows)
    {
        using var _ = no_grad();
        injection.TrainableTokenLayers.Single(l => l.TiedTo is null).Delta.copy_(rows);
    }

    static Tensor Logits(PretrainedModel model, long[]? ids = null)
    {
        model.eval();
        using var _ = no_grad();
        using var input = tensor(ids ?? [5, 17, 42, 3, 17, 99, 7], ScalarType.Int64).reshape(1, -1);
        return model.Forward(new ModelInputs(input));
    }

    /// <summary>The independent computation: the plain model with the rows written into its table by hand.</summary>
    static Tensor LogitsWithRowsReplaced(string checkpoint, Tensor rows, bool alsoHead)
    {
        using var model = ModelLoader.Load(checkpoint);
        using (no_grad())
        {
            var table = ((IInputEmbeddings)model).InputEmbeddings.weight!;
            for (var i = 0; i < Tokens.Length; i++) table[Tokens[i]].copy_(rows[i]);
            if (alsoHead && ((ICausalLanguageModel)model).OutputHead is Linear head && !TiedWeightMerge.SharesStorage(head.weight!, table))
                for (var i = 0; i < Tokens.Length; i++) head.weight![Tokens[i]].copy_(rows[i]);
        }
        return Logits(model);
    }

    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public void Forward_equals_the_model_with_those_rows_replaced_in_the_embedding_and_in_a_tied_head(bool tied)
    {
        var checkpoint = Checkpoint("tokens-forward", tied);
        using var model = ModelLoader.Load(checkpoint);
        var injection = Inject(model);
        Assert.Equal(tied ? 2 : 1, injection.TrainableTokenLayers.Count);
        Assert.Equal(tied, ((ICausalLanguageModel)model).OutputHead is TrainableTokensLayer);
        using var rows = RandomRows(5, Tokens.Length, 32);
        SetDelta(injection, rows);
        using var actual = Logits(model);
        // Untied, the head keeps its own table (PEFT wraps only the embedding); tied, the head reads the same rows.
        using var expected = LogitsWithRowsReplaced(checkpoint, rows, alsoHead: false);
        Assert.True(actual.allclose(expected, rtol: 1e-5, atol: 1e-5), $"max difference {(actual - expected).abs().max().item<float>()}");
        // Untrained (delta = the rows themselves) the layer changes nothing.
        using var fresh = ModelLoader.Load(checkpoint);
        using var before = Logits(fresh);
        Inject(fresh);
        using var after = Logits(fresh);
        // Exact for the lookup; the tied head's three columns come from their own matmul (another summation order).
        Assert.True(before.allclose(after, rtol: 0, atol: tied ? 1e-6 : 0));
    }

    [Fact]
    public void Gradients_reach_only_the_delta_and_equal_the_full_tables_gradient_at_those_rows()
    {
        var checkpoint = Checkpoint("tokens-grad", tied: true);
        using var model = ModelLoader.Load(checkpoint);
        var injection = Inject(model);
        var trainable = model.named_parameters().Where(p => p.parameter.requires_grad).Select(p => p.name).ToList();
        Assert.Contains("model.embed_tokens.trainable_tokens_delta", trainable);
        Assert.DoesNotContain(trainable, n => n.EndsWith("embed_tokens.weight") || n.EndsWith("base_layer.weight") && !n.Contains("q_proj"));
        Assert.Equal(3, trainable.Count); // delta, q_proj's lora_A and lora_B
        var delta = injection.TrainableTokenLayers[0].Delta;
        long[] ids = [5, 17, 42, 3, 17, 8];
        model.train();
        using (var input = tensor(ids, ScalarType.Int64).reshape(1, -1))
        using (var logits = model.Forward(new ModelInputs(input)))
        using (var loss = logits.square().mean())
            loss.backward();
        using var deltaGrad = delta.grad!.clone();
        Assert.Null(((IInputEmbeddings)model).InputEmbeddings.weight!.grad);

        // Independent: the plain tied model with the whole table trainable; its gradient at the three rows is the delta's.
        using var plain = ModelLoader.Load(checkpoint);
        foreach (var p in plain.parameters()) p.requires_grad = false;
        var table = ((IInputEmbeddings)plain).InputEmbeddings.weight!;
        table.requires_grad = true;
        plain.train();
        using (var input = tensor(ids, ScalarType.Int64).reshape(1, -1))
        using (var logits = plain.Forward(new ModelInputs(input)))
        using (var loss = logits.square().mean())
            loss.backward();
        using var index = tensor(Tokens.Select(t => (long)t).ToArray());
        using var expected = table.grad!.index_select(0, index);
        Assert.True(deltaGrad.allclose(expected, rtol: 1e-4, atol: 1e-6), $"max difference {(deltaGrad - expected).abs().max().item<float>()}");
        // Token 99 is not in the input, but the tied head still gives its row a gradient; the rows differ from zero.
        Assert.True(deltaGrad.abs().sum(1).gt(0).all().item<bool>());
    }

    [Fact]
    public void Saved_files_use_peft_key_and_config_names_and_round_trip_to_the_same_logits()
    {
        var checkpoint = Checkpoint("tokens-save", tied: true);
        var adapter = Path.Combine(Path.GetDirectoryName(checkpoint)!, "adapter");
        using var model = ModelLoader.Load(checkpoint);
        var injection = Inject(model);
        LoraDsl.Tests.Adapters.AdapterRoundTripTests.RandomizeTrainable(model, 11);
        AdapterWriter.Save(adapter, model, injection, checkpoint);

        var file = SafetensorsFile.Open(Path.Combine(adapter, AdapterFiles.WeightsFile));
        const string key = "base_model.model.model.embed_tokens.token_adapter.trainable_tokens_delta";
        Assert.Contains(key, file.Names);
        Assert.DoesNotContain(file.Names, n => n.StartsWith("base_model.model.lm_head", StringComparison.Ordinal)); // tied: saved once, as PEFT does
        using (var stored = file.Read(key)) Assert.Equal([3L, 32L], stored.shape);
        var config = JsonNode.Parse(File.ReadAllText(Path.Combine(adapter, AdapterFiles.ConfigFile)))!.AsObject();
        Assert.Equal("[3,17,99]", config["trainable_token_indices"]!.ToJsonString());
        Assert.False(config["ensure_weight_tying"]!.GetValue<bool>());

        using var expected = Logits(model);
        using var loaded = ModelLoader.Load(checkpoint);
        var reloaded = AdapterReader.Load(adapter, loaded);
        Assert.Equal(Tokens, reloaded.TrainableTokenIndices!.InputEmbedding);
        using var actual = Logits(loaded);
        Assert.True(actual.allclose(expected, rtol: 0, atol: 0));
    }

    [Fact]
    public void The_run_store_restores_the_rows_and_refuses_a_file_with_rows_the_live_adapter_does_not_train()
    {
        var checkpoint = Checkpoint("tokens-store", tied: true);
        var adapter = Path.Combine(Path.GetDirectoryName(checkpoint)!, "adapter");
        using var model = ModelLoader.Load(checkpoint);
        var injection = Inject(model);
        LoraDsl.Tests.Adapters.AdapterRoundTripTests.RandomizeTrainable(model, 21);
        new PeftAdapterStore(model, injection, checkpoint).Save(adapter);
        using var expected = Logits(model);

        using var resumed = ModelLoader.Load(checkpoint);
        var live = Inject(resumed);
        new PeftAdapterStore(resumed, live, checkpoint).Load(adapter);
        using var actual = Logits(resumed);
        Assert.True(actual.allclose(expected, rtol: 0, atol: 0));

        using var without = ModelLoader.Load(checkpoint);
        var plain = Inject(without, new LoraOptions { Rank = 2, Alpha = 4 });
        var error = Assert.Throws<AdapterMismatchException>(() => new PeftAdapterStore(without, plain, checkpoint).Load(adapter));
        Assert.Contains("model.embed_tokens.token_adapter.trainable_tokens_delta", error.Message);
    }

    [Fact]
    public void The_map_form_is_written_as_peft_writes_it_and_a_named_untied_head_trains_its_own_rows()
    {
        var checkpoint = Checkpoint("tokens-map", tied: false);
        var adapter = Path.Combine(Path.GetDirectoryName(checkpoint)!, "adapter");
        using var model = ModelLoader.Load(checkpoint);
        var selection = new TrainableTokenSelection().WithModule("embed_tokens", [TrainableToken.OfId(3)]).WithModule("lm_head", [TrainableToken.OfId(17), TrainableToken.OfId(99)]);
        var injection = Inject(model, new LoraOptions { Rank = 2, Alpha = 4, TrainableTokens = selection, EnsureWeightTying = true });
        LoraDsl.Tests.Adapters.AdapterRoundTripTests.RandomizeTrainable(model, 3);
        AdapterWriter.Save(adapter, model, injection, checkpoint);
        var config = JsonNode.Parse(File.ReadAllText(Path.Combine(adapter, AdapterFiles.ConfigFile)))!.AsObject();
        Assert.Equal("""{"embed_tokens":[3],"lm_head":[17,99]}""", config["trainable_token_indices"]!.ToJsonString());
        Assert.True(config["ensure_weight_tying"]!.GetValue<bool>());
        var names = SafetensorsFile.Open(Path.Combine(adapter, AdapterFiles.WeightsFile)).Names;
        Assert.Contains("base_model.model.lm_head.token_adapter.trainable_tokens_delta", names);
        Assert.Contains("base_model.model.model.embed_tokens.token_adapter.trainable_tokens_delta", names);

        using var expected = Logits(model);
        using var loaded = ModelLoader.Load(checkpoint);
        AdapterReader.Load(adapter, loaded);
        using var actual = Logits(loaded);
        Assert.True(actual.allclose(expected, rtol: 0, atol: 0));
    }

    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public void Merge_writes_the_rows_into_the_table_and_a_tied_head_and_keeps_the_outputs(bool tied)
    {
        var checkpoint = Checkpoint("tokens-merge", tied);
        using var model = ModelLoader.Load(checkpoint);
        var injection = Inject(model);
        using var rows = RandomRows(9, Tokens.Length, 32);
        SetDelta(injection, rows);
        using var unmerged = Logits(model);
        LoraInjector.MergeAndUnload(model);
        Assert.DoesNotContain(model.named_modules(), m => m.module is TrainableTokensLayer or LoraLinear);
        using var merged = Logits(model);
        Assert.True(unmerged.allclose(merged, rtol: 1e-5, atol: 1e-5));

        // The formula: W'[i] = delta[row of i] for the trained ids, W'[j] = W[j] elsewhere; a tied head is the same table.
        using var original = SafetensorsFile.Open(Path.Combine(checkpoint, "model.safetensors")).Read("model.embed_tokens.weight");
        using var expected = original.clone();
        for (var i = 0; i < Tokens.Length; i++) expected[Tokens[i]] = rows[i];
        var table = ((Embedding)ModuleSurgery.Find(model, "model.embed_tokens")).weight!;
        Assert.True(table.detach().allclose(expected, rtol: 0, atol: 0));
        var head = ((Linear)((ICausalLanguageModel)model).OutputHead).weight!;
        Assert.Equal(tied, TiedWeightMerge.SharesStorage(head, table));
        if (!tied)
        {
            using var storedHead = SafetensorsFile.Open(Path.Combine(checkpoint, "model.safetensors")).Read("lm_head.weight");
            Assert.True(head.detach().allclose(storedHead, rtol: 0, atol: 0));
        }
    }

    [Fact]
    public void Ensure_weight_tying_refuses_different_ids_for_tied_modules_as_peft_does_and_without_it_each_trains_its_own()
    {
        var checkpoint = Checkpoint("tokens-ensure", tied: true);
        var selection = new TrainableTokenSelection().WithModule("embed_tokens", [TrainableToken.OfId(3)]).WithModule("lm_head", [TrainableToken.OfId(17)]);
        using (var model = ModelLoader.Load(checkpoint))
        {
            var error = Assert.Throws<ArgumentException>(() => Inject(model, new LoraOptions { TrainableTokens = selection, EnsureWeightTying = true }));
            Assert.Contains("Cannot ensure weight tying when different token indices are specified for tied layers", error.Message);
            Assert.Contains("embed_tokens: [3], lm_head: [17]", error.Message);
            Assert.DoesNotContain(model.named_modules(), m => m.module is TrainableTokensLayer or LoraLinear); // checked before the model is touched
        }
        using (var model = ModelLoader.Load(checkpoint))
        {
            var injection = Inject(model, new LoraOptions { TrainableTokens = selection });
            Assert.Equal(2, injection.TrainableTokenLayers.Count(l => l.TiedTo is null));
            LoraDsl.Tests.Adapters.AdapterRoundTripTests.RandomizeTrainable(model, 4);
            using var unmerged = Logits(model);
            LoraInjector.MergeAndUnload(model);
            using var merged = Logits(model);
            Assert.True(unmerged.allclose(merged, rtol: 1e-5, atol: 1e-5));
            Assert.False(model.Config.Raw["tie_word_embeddings"]!.GetValue<bool>()); // each table got its own rows
        }
        using (var model = ModelLoader.Load(checkpoint))
        {
            // Same ids on both: the head follows the embedding's layer, one delta.
            var same = new TrainableTokenSelection().WithModule("embed_tokens", [TrainableToken.OfId(3)]).WithModule("lm_head", [TrainableToken.OfId(3)]);
            var injection = Inject(model, new LoraOptions { TrainableTokens = same, EnsureWeightTying = true });
            Assert.Single(injection.TrainableTokenLayers, l => l.TiedTo is null);
            Assert.Single(injection.TrainableTokenLayers, l => l.TiedTo is not null && l.Path == "lm_head");
        }
    }

    [Fact]
    public void Conflicts_and_texts_that_are_not_one_token_are_errors_naming_them()
    {
        var checkpoint = Checkpoint("tokens-errors", tied: false);
        using var model = ModelLoader.Load(checkpoint);
        var both = new LoraOptions { TrainableTokens = new TrainableTokenSelection().WithModule("embed_tokens", [TrainableToken.OfId(3)]), ModulesToSave = ["embed_tokens"] };
        Assert.Contains("either specify modules_to_save=[..., \"embed_tokens\", ...] or trainable_token_indices={'embed_tokens': x} but not both",
            Assert.Throws<ArgumentException>(() => Inject(model, both)).Message);
        var split = new LoraOptions { TrainableTokens = new TrainableTokenSelection().WithInputEmbedding([TrainableToken.OfText("hello world, twice")]) };
        Assert.Contains("Trainable token 'hello world, twice' is", Assert.Throws<ArgumentException>(() => Inject(model, split)).Message);
        var outside = new LoraOptions { TrainableTokens = new TrainableTokenSelection().WithInputEmbedding([TrainableToken.OfId(100_000)]) };
        Assert.Contains("outside module 'model.embed_tokens'", Assert.Throws<ArgumentException>(() => Inject(model, outside)).Message);
        // One byte is one token of the tiny byte-level tokenizer: resolved beside the checkpoint.
        var text = new LoraOptions { TrainableTokens = new TrainableTokenSelection().WithInputEmbedding([TrainableToken.OfText("a")]) };
        var injection = Inject(model, text);
        Assert.Single(injection.TrainableTokenIndices!.InputEmbedding!);
    }

    static LoraDsl.Recipes.RecipeDefinition Sample(Func<LoraDsl.Recipes.LoraBuilder, LoraDsl.Recipes.LoraBuilder> lora) => new LoraDsl.Recipes.RecipeBuilder("r", LoraDsl.Architectures.Llama.Descriptor)
        .Model(m => m.FromDirectory("models/llama"))
        .Lora(l => lora(l))
        .Data(d => d.JsonLines("data/train.jsonl").CausalLanguageModeling())
        .Training(t => t.MaxSteps(5))
        .Build();

    [Fact]
    public void The_dsl_states_ids_texts_per_module_tokens_and_weight_tying_as_the_settings_spell_them()
    {
        var recipe = Sample(l => l.Target(LoraDsl.Architectures.Llama.QProj).TrainableTokens("<|im_end|>").TrainableTokensOn("lm_head", 5, 6).EnsureWeightTying());
        Assert.Equal("""{"lm_head":[5,6],"":["<|im_end|>"]}""", RecipeSettings.Find("lora.trainable_token_indices", "r").Read(recipe));
        Assert.True(recipe.Lora.EnsureWeightTying);
        Assert.Equal([TrainableToken.OfId(7)], Sample(l => l.Target(LoraDsl.Architectures.Llama.QProj).TrainableTokens(7)).Lora.TrainableTokens!.InputEmbedding);
    }

    [Theory]
    [InlineData("151645,<|im_end|>", """[151645,"<|im_end|>"]""")]
    [InlineData("[7, \"<|im_end|>\"]", """[7,"<|im_end|>"]""")]
    [InlineData("""{"embed_tokens": [1, 2], "lm_head": [1, 2]}""", """{"embed_tokens":[1,2],"lm_head":[1,2]}""")]
    public void Set_reads_ids_texts_and_peft_json_and_writes_json_back(string value, string spelled)
    {
        var recipe = Sample(l => l.Target(LoraDsl.Architectures.Llama.QProj));
        var row = RecipeSettings.Find("lora.trainable_token_indices", "r");
        var set = row.Write(recipe, value);
        Assert.Equal(spelled, row.Read(set));
        Assert.Equal(spelled, row.Read(row.Write(recipe, spelled))); // what run.json records reads back the same
        Assert.Null(RecipeSettings.Find("lora.trainable_token_indices", "r").Read(row.Write(set, "none")));
        Assert.True((bool)RecipeSettings.Find("lora.ensure_weight_tying", "r").Read(RecipeSettings.Find("lora.ensure_weight_tying", "r").Write(recipe, "true"))!);
    }
}
