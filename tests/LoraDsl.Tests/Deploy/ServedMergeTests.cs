using System.Text.Json.Nodes;
using LoraDsl.Adapters;
using LoraDsl.Checkpoints;
using LoraDsl.Lora;
using LoraDsl.Models;
using LoraDsl.Tests.Adapters;
using LoraDsl.Tests.Examples;
using LoraDsl.Tests.Lora.TestModels;
using LoraDsl.Tests.TestCheckpoints;
using Xunit;
using static TorchSharp.torch;

namespace LoraDsl.Tests.Deploy;

/// <summary>`merge` writes folders transformers, vLLM and TGI load as is: shards + index, dtype, tokenizer, chat template, eos list, untied heads.</summary>
[Collection(Training.TorchRandomCollection.Name)]
public class ServedMergeTests
{
    // A base folder and a trained-looking adapter on `targets` (random A and B, so merging changes the weights).
    static (string Checkpoint, string Adapter) Trained(string checkpoint, string[] targets, int seed)
    {
        var adapter = Path.Combine(TinyCheckpoints.NewFolder("served-run"), "adapter");
        using var model = ModelLoader.Load(checkpoint);
        var injection = LoraInjector.Inject(model, new LoraOptions { Rank = 2, Alpha = 4 }, [.. targets.Select(t => new LoraTarget(t))]);
        AdapterRoundTripTests.RandomizeTrainable(model, seed);
        AdapterWriter.Save(adapter, model, injection, checkpoint);
        return (checkpoint, adapter);
    }

    static Tensor Logits(PretrainedModel model)
    {
        model.eval();
        using var _ = no_grad();
        using var ids = tensor(new long[] { 5, 17, 42, 3, 17, 99 }).reshape(1, 6);
        return model.Forward(new ModelInputs(ids));
    }

    static Tensor Logits(string folder)
    {
        using var model = ModelLoader.Load(folder);
        return Logits(model);
    }

    static Tensor Unmerged(string checkpoint, string adapter)
    {
        using var model = ModelLoader.Load(checkpoint);
        AdapterReader.Load(adapter, model);
        return Logits(model);
    }

    static string Merge(string adapter, params string[] options)
    {
        var output = Path.Combine(TinyCheckpoints.NewFolder("served-merged"), "out");
        var (exit, _, stderr) = CliCapture.Run(["merge", "--adapter", adapter, "--output", output, .. options]);
        Assert.True(exit == 0, stderr);
        return output;
    }

    static long Bytes(SafetensorsTensorInfo info) => info.End - info.Start;

    [Theory]
    [InlineData("5GB", 5_000_000_000L)]
    [InlineData("500MB", 500_000_000L)]
    [InlineData("100KB", 100_000L)]
    [InlineData("2GiB", 2_147_483_648L)]
    [InlineData("1.5MB", 1_500_000L)]
    [InlineData("4096", 4096L)]
    public void Shard_sizes_are_read_as_transformers_reads_them(string text, long bytes) => Assert.Equal(bytes, ShardSize.Parse(text));

    [Fact]
    public void A_size_that_is_not_one_is_refused() => Assert.Contains("5GB, 500MB", Assert.Throws<ArgumentException>(() => ShardSize.Parse("five gigs")).Message);

    [Fact]
    public void A_sharded_merge_puts_every_tensor_in_exactly_one_shard_with_a_right_index_and_reloads_to_the_same_logits()
    {
        var (checkpoint, adapter) = Trained(TinyCheckpoints.WriteLlama(TinyCheckpoints.NewFolder("served-llama")), ["model.layers.0.self_attn.q_proj", "model.layers.1.mlp.down_proj"], 3);
        var single = Merge(adapter);
        Assert.True(File.Exists(Path.Combine(single, "model.safetensors")));
        Assert.False(File.Exists(Path.Combine(single, HfCheckpoint.SafetensorsIndexFile)));

        const long limit = 20_000;
        var sharded = Merge(adapter, "--max-shard-size", "20KB");
        var shards = Directory.GetFiles(sharded, "model-*-of-*.safetensors").Order(StringComparer.Ordinal).ToList();
        Assert.True(shards.Count > 1, $"{shards.Count} shard(s)");
        Assert.False(File.Exists(Path.Combine(sharded, "model.safetensors")));
        Assert.All(shards.Select(Path.GetFileName), (name, i) => Assert.Equal($"model-{i + 1:D5}-of-{shards.Count:D5}.safetensors", name));

        // Read back from the shards' own headers: each tensor once, the index agrees, the total is the sum of their bytes.
        var seen = new Dictionary<string, string>(StringComparer.Ordinal);
        long total = 0;
        foreach (var shard in shards)
        {
            var file = SafetensorsFile.Open(shard);
            var infos = file.Names.Select(file.Info).ToList();
            var size = infos.Sum(Bytes);
            Assert.True(size <= limit || infos.Count == 1, $"{Path.GetFileName(shard)} holds {size} bytes in {infos.Count} tensors");
            foreach (var info in infos)
            {
                Assert.True(seen.TryAdd(info.Name, Path.GetFileName(shard)), $"{info.Name} is in two shards");
                Assert.Equal(info.Shape.Aggregate(1L, (a, b) => a * b) * 4, Bytes(info));
                total += Bytes(info);
            }
        }
        var index = JsonNode.Parse(File.ReadAllText(Path.Combine(sharded, HfCheckpoint.SafetensorsIndexFile)))!;
        Assert.Equal(total, index["metadata"]!["total_size"]!.GetValue<long>());
        var map = index["weight_map"]!.AsObject().ToDictionary(kv => kv.Key, kv => kv.Value!.GetValue<string>());
        Assert.Equal(seen.OrderBy(kv => kv.Key), map.OrderBy(kv => kv.Key));
        var unsharded = SafetensorsFile.Open(Path.Combine(single, "model.safetensors"));
        Assert.Equal(unsharded.Names.Order(StringComparer.Ordinal), seen.Keys.Order(StringComparer.Ordinal));

        using var fromSingle = Logits(single);
        using var fromShards = Logits(sharded);
        Assert.True(Identical.Tensors(fromSingle, fromShards), "sharded and single-file folders give different logits");
        using var unmerged = Unmerged(checkpoint, adapter);
        Assert.True(unmerged.allclose(fromSingle, rtol: 0, atol: 1e-4));
    }

    [Theory]
    [InlineData("bf16", "BF16", "bfloat16")]
    [InlineData("fp16", "F16", "float16")]
    [InlineData("fp32", "F32", "float32")]
    public void The_saved_dtype_is_every_weights_dtype_and_the_configs(string dtype, string stored, string configName)
    {
        var (_, adapter) = Trained(TinyCheckpoints.WriteGpt2(TinyCheckpoints.NewFolder("served-dtype")), ["transformer.h.0.attn.c_attn"], 4);
        var merged = Merge(adapter, "--dtype", dtype);
        var file = SafetensorsFile.Open(Path.Combine(merged, "model.safetensors"));
        var floating = file.Names.Select(file.Info).Where(i => i.DtypeName is "F32" or "BF16" or "F16").ToList();
        Assert.NotEmpty(floating);
        Assert.All(floating, i => Assert.Equal(stored, i.DtypeName));
        Assert.Equal(configName, JsonNode.Parse(File.ReadAllText(Path.Combine(merged, "config.json")))!["torch_dtype"]!.GetValue<string>());
    }

    [Fact]
    public void Tokenizer_chat_template_and_the_full_eos_list_travel_with_the_merged_folder()
    {
        var checkpoint = TinyCheckpoints.WriteLlama(TinyCheckpoints.NewFolder("served-chat"));
        const string template = "{% for m in messages %}<|im_start|>{{ m.role }}\n{{ m.content }}<|im_end|>\n{% endfor %}";
        File.WriteAllText(Path.Combine(checkpoint, "chat_template.jinja"), template);
        File.WriteAllText(Path.Combine(checkpoint, "tokenizer.json"), new JsonObject
        {
            ["added_tokens"] = new JsonArray(new JsonObject { ["id"] = 7, ["content"] = "<|im_start|>" }, new JsonObject { ["id"] = 9, ["content"] = "<|im_end|>" }),
        }.ToJsonString());
        File.WriteAllText(Path.Combine(checkpoint, "generation_config.json"), new JsonObject { ["do_sample"] = true, ["temperature"] = 0.7, ["eos_token_id"] = 3 }.ToJsonString());
        var (_, adapter) = Trained(checkpoint, ["model.layers.0.self_attn.v_proj"], 5);
        var merged = Merge(adapter);

        foreach (var file in new[] { "vocab.json", "merges.txt", "tokenizer_config.json", "tokenizer.json", "chat_template.jinja" })
            Assert.Equal(File.ReadAllText(Path.Combine(checkpoint, file)), File.ReadAllText(Path.Combine(merged, file)));
        var generation = JsonNode.Parse(File.ReadAllText(Path.Combine(merged, "generation_config.json")))!;
        // config.json's eos, the source generation config's, and the template's end of turn; sampling defaults kept.
        long configEos = TinyCheckpoints.ByteLevelVocabSize - 1;
        Assert.Equal([configEos, 3L, 9L], generation["eos_token_id"]!.AsArray().Select(n => n!.GetValue<long>()));
        Assert.True(generation["do_sample"]!.GetValue<bool>());
        Assert.Equal(0.7, generation["temperature"]!.GetValue<double>());
    }

    [Fact]
    public void An_adapter_on_gpt2s_tied_wte_is_merged_by_untying_and_the_merged_folder_computes_what_the_adapter_did()
    {
        var (checkpoint, adapter) = Trained(TinyCheckpoints.WriteGpt2(TinyCheckpoints.NewFolder("served-tied")), ["transformer.wte", "transformer.h.0.attn.c_attn"], 6);
        using var unmerged = Unmerged(checkpoint, adapter);
        using var baseLogits = Logits(checkpoint);
        Assert.False(unmerged.allclose(baseLogits, rtol: 0, atol: 1e-3));

        var merged = Merge(adapter);
        var config = JsonNode.Parse(File.ReadAllText(Path.Combine(merged, "config.json")))!;
        Assert.False(config["tie_word_embeddings"]!.GetValue<bool>());
        var weights = SafetensorsFile.Open(Path.Combine(merged, "model.safetensors"));
        Assert.True(weights.Contains("lm_head.weight"));
        // The head keeps the checkpoint's table; only the lookup has the adapter in it.
        using (var head = weights.Read("lm_head.weight"))
        using (var original = SafetensorsFile.Open(Path.Combine(checkpoint, "model.safetensors")).Read(Gpt2WteName(checkpoint)))
            Assert.True(Identical.Tensors(head, original));
        using var fromMerged = Logits(merged);
        Assert.True(unmerged.allclose(fromMerged, rtol: 0, atol: 1e-4), $"max |diff| {(unmerged - fromMerged).abs().max().item<float>()}");
    }

    [Fact]
    public void A_lora_on_a_tied_llama_head_unties_in_memory_and_keeps_the_outputs()
    {
        var checkpoint = TinyCheckpoints.WriteLlama(TinyCheckpoints.NewFolder("served-tied-llama"), new TinyLlamaSpec { TieWordEmbeddings = true });
        using var model = ModelLoader.Load(checkpoint);
        LoraInjector.Inject(model, new LoraOptions { Rank = 2, Alpha = 4 }, [new LoraTarget("lm_head")]);
        AdapterRoundTripTests.RandomizeTrainable(model, 7);
        using var unmerged = Logits(model);
        Assert.Equal(["lm_head"], LoraInjector.MergeAndUnload(model));
        using var merged = Logits(model);
        Assert.True(unmerged.allclose(merged, rtol: 0, atol: 1e-4));
        Assert.False(model.Config.Raw["tie_word_embeddings"]!.GetValue<bool>());
        // The embedding kept the checkpoint's table.
        using var table = SafetensorsFile.Open(Path.Combine(checkpoint, "model.safetensors")).Read("model.embed_tokens.weight");
        var embed = (TorchSharp.Modules.Embedding)LoraDsl.Modules.ModuleSurgery.Find(model, "model.embed_tokens");
        Assert.True(Identical.Tensors(table, embed.weight!.detach()));
    }

    // Hub GPT-2 checkpoints name the table "wte.weight" (no "transformer." prefix); the tiny writer may use either.
    static string Gpt2WteName(string checkpoint)
    {
        var names = SafetensorsFile.Open(Path.Combine(checkpoint, "model.safetensors")).Names;
        return names.Contains("transformer.wte.weight") ? "transformer.wte.weight" : "wte.weight";
    }
}
