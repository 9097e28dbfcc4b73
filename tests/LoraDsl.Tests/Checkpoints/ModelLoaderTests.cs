using System.Text.Json.Nodes;
using LoraDsl.Checkpoints;
using LoraDsl.Models;
using LoraDsl.Models.Gpt2;
using LoraDsl.Models.Llama;
using LoraDsl.Tests.TestCheckpoints;
using TorchSharp;
using Xunit;
using static TorchSharp.torch;

namespace LoraDsl.Tests.Checkpoints;

public class ModelLoaderTests
{
    static void AssertWeightsEqual(PretrainedModel model, Dictionary<string, Tensor> expected, double tolerance = 0)
    {
        var state = model.state_dict();
        foreach (var (name, value) in expected)
        {
            Assert.True(state.ContainsKey(name), name);
            using var asFloat = state[name].to(ScalarType.Float32);
            using var want = value.to(ScalarType.Float32);
            Assert.True(asFloat.allclose(want, rtol: 0, atol: tolerance), name);
        }
    }

    [Fact]
    public void Loads_llama_weights_by_hf_names()
    {
        var spec = new TinyLlamaSpec();
        var dir = TinyCheckpoints.WriteLlama(TinyCheckpoints.NewFolder("llama"), spec);
        using var model = ModelLoader.Load(dir, new ModelLoadOptions(), out var report);
        Assert.IsType<LlamaForCausalLM>(model);
        Assert.Equal(ModelTask.CausalLanguageModeling, model.Task);
        AssertWeightsEqual(model, TinyCheckpoints.LlamaTensors(spec));
        Assert.Empty(report.UnexpectedKeys);
        Assert.Equal(TinyCheckpoints.LlamaTensors(spec).Count, report.LoadedKeys.Count);
    }

    [Fact]
    public void Loads_sharded_checkpoint_through_the_index()
    {
        var spec = new TinyLlamaSpec { Sharded = true, ModelType = "mistral", SlidingWindow = 4 };
        var dir = TinyCheckpoints.WriteLlama(TinyCheckpoints.NewFolder("shard"), spec);
        Assert.True(File.Exists(Path.Combine(dir, "model.safetensors.index.json")));
        Assert.False(File.Exists(Path.Combine(dir, "model.safetensors")));
        using var model = ModelLoader.Load(dir);
        AssertWeightsEqual(model, TinyCheckpoints.LlamaTensors(spec));
        Assert.Equal(4, ((LlamaForCausalLM)model).LlamaConfig.SlidingWindow);
    }

    [Fact]
    public void Bf16_file_loads_into_a_bf16_model_and_into_an_fp32_model()
    {
        var spec = new TinyLlamaSpec { StoredDtype = ScalarType.BFloat16, ModelType = "qwen2", TieWordEmbeddings = true };
        var dir = TinyCheckpoints.WriteLlama(TinyCheckpoints.NewFolder("bf16"), spec);
        using var bf16 = ModelLoader.Load(dir, new ModelLoadOptions { ComputeDtype = ScalarType.BFloat16 });
        Assert.All(bf16.parameters(), p => Assert.Equal(ScalarType.BFloat16, p.dtype));
        var expected = TinyCheckpoints.LlamaTensors(spec).ToDictionary(kv => kv.Key, kv => kv.Value.to(ScalarType.BFloat16));
        AssertWeightsEqual(bf16, expected);
        using var fp32 = ModelLoader.Load(dir);
        Assert.All(fp32.parameters(), p => Assert.Equal(ScalarType.Float32, p.dtype));
        AssertWeightsEqual(fp32, expected);
        using var ids = tensor(new long[,] { { 1, 2, 3 } });
        using var logits = bf16.Forward(new ModelInputs(ids));
        Assert.Equal(ScalarType.BFloat16, logits.dtype);
    }

    [Fact]
    public void Tied_head_needs_no_tensor_and_shares_the_embedding()
    {
        var spec = new TinyLlamaSpec { TieWordEmbeddings = true };
        var dir = TinyCheckpoints.WriteLlama(TinyCheckpoints.NewFolder("tied"), spec);
        using var model = ModelLoader.Load(dir, null, out var report);
        Assert.Contains("lm_head.weight", report.TiedKeys);
        var state = model.state_dict();
        Assert.True(state["lm_head.weight"].eq(TinyCheckpoints.LlamaTensors(spec)["model.embed_tokens.weight"]).all().item<bool>());
    }

    [Fact]
    public void Base_model_checkpoint_without_prefix_loads()
    {
        var spec = new TinyLlamaSpec { WithoutPrefix = true };
        var dir = TinyCheckpoints.WriteLlama(TinyCheckpoints.NewFolder("noprefix"), spec);
        using var model = ModelLoader.Load(dir);
        AssertWeightsEqual(model, TinyCheckpoints.LlamaTensors(spec));
    }

    [Fact]
    public void Hub_style_gpt2_loads_without_prefix_ignoring_mask_buffers()
    {
        var spec = new TinyGpt2Spec();
        var dir = TinyCheckpoints.WriteGpt2(TinyCheckpoints.NewFolder("gpt2"), spec);
        using var model = ModelLoader.Load(dir, null, out var report);
        Assert.IsType<Gpt2LMHeadModel>(model);
        AssertWeightsEqual(model, TinyCheckpoints.Gpt2Tensors(spec));
        Assert.Empty(report.UnexpectedKeys);
        Assert.Contains("lm_head.weight", report.TiedKeys);
        Assert.True(model.state_dict()["lm_head.weight"].eq(TinyCheckpoints.Gpt2Tensors(spec)["transformer.wte.weight"]).all().item<bool>());
    }

    [Fact]
    public void Unexpected_tensors_are_reported_or_rejected()
    {
        var dir = TinyCheckpoints.WriteLlama(TinyCheckpoints.NewFolder("extra"));
        var path = Path.Combine(dir, "model.safetensors");
        var tensors = SafetensorsFile.Open(path).ReadAll();
        tensors["model.extra.weight"] = zeros(3);
        SafetensorsWriter.Write(path, tensors);
        using (var model = ModelLoader.Load(dir, null, out var report))
            Assert.Equal(["model.extra.weight"], report.UnexpectedKeys);
        var e = Assert.Throws<CheckpointFormatException>(() => ModelLoader.Load(dir, new ModelLoadOptions { RejectUnexpectedTensors = true }));
        Assert.Contains("model.extra.weight", e.Message);
    }

    [Fact]
    public void Missing_config_names_the_folder()
    {
        var dir = TinyCheckpoints.NewFolder("noconfig");
        var e = Assert.Throws<CheckpointNotFoundException>(() => ModelLoader.Load(dir));
        Assert.Contains(dir, e.Message);
        Assert.Contains("config.json", e.Message);
    }

    [Fact]
    public void Missing_weights_list_the_files_looked_for()
    {
        var dir = TinyCheckpoints.WriteLlama(TinyCheckpoints.NewFolder("noweights"));
        File.Delete(Path.Combine(dir, "model.safetensors"));
        var e = Assert.Throws<CheckpointNotFoundException>(() => ModelLoader.Load(dir));
        Assert.Contains("model.safetensors.index.json", e.Message);
        Assert.Contains("pytorch_model.bin", e.Message);
    }

    [Fact]
    public void Unknown_model_type_lists_supported_ones()
    {
        var dir = TinyCheckpoints.WriteLlama(TinyCheckpoints.NewFolder("unknown"));
        var configPath = Path.Combine(dir, "config.json");
        var config = JsonNode.Parse(File.ReadAllText(configPath))!.AsObject();
        config["model_type"] = "falcon";
        File.WriteAllText(configPath, config.ToJsonString());
        var e = Assert.Throws<UnsupportedModelException>(() => ModelLoader.Load(dir));
        Assert.Contains("falcon", e.Message);
        Assert.Contains("llama", e.Message);
        Assert.Contains("gpt2", e.Message);
        Assert.Contains(configPath, e.Message);
    }

    [Fact]
    public void Shape_mismatch_names_tensor_file_and_both_shapes()
    {
        var dir = TinyCheckpoints.WriteLlama(TinyCheckpoints.NewFolder("shape"), new TinyLlamaSpec { Hidden = 16, Heads = 2, KvHeads = 2 });
        var configPath = Path.Combine(dir, "config.json");
        var config = JsonNode.Parse(File.ReadAllText(configPath))!.AsObject();
        config["hidden_size"] = 32;
        File.WriteAllText(configPath, config.ToJsonString());
        var e = Assert.Throws<CheckpointFormatException>(() => ModelLoader.Load(dir));
        Assert.Contains("model.embed_tokens.weight", e.Message);
        Assert.Contains("model.safetensors", e.Message);
        Assert.Contains($"[{TinyCheckpoints.ByteLevelVocabSize}, 16]", e.Message);
        Assert.Contains($"[{TinyCheckpoints.ByteLevelVocabSize}, 32]", e.Message);
    }

    [Fact]
    public void Missing_tensor_is_named_with_the_file()
    {
        var dir = TinyCheckpoints.WriteLlama(TinyCheckpoints.NewFolder("missing"));
        var path = Path.Combine(dir, "model.safetensors");
        var tensors = SafetensorsFile.Open(path).ReadAll();
        tensors.Remove("model.layers.1.mlp.up_proj.weight");
        SafetensorsWriter.Write(path, tensors);
        var e = Assert.Throws<CheckpointFormatException>(() => ModelLoader.Load(dir));
        Assert.Contains("model.layers.1.mlp.up_proj.weight", e.Message);
        Assert.Contains(path, e.Message);
    }

    [Fact]
    public void Truncated_weights_fail_before_building_the_model()
    {
        var dir = TinyCheckpoints.WriteGpt2(TinyCheckpoints.NewFolder("trunc"));
        var path = Path.Combine(dir, "model.safetensors");
        var bytes = File.ReadAllBytes(path);
        File.WriteAllBytes(path, bytes[..(bytes.Length / 2)]);
        var e = Assert.Throws<CheckpointFormatException>(() => ModelLoader.Load(dir));
        Assert.Contains(path, e.Message);
        Assert.Contains("truncated", e.Message);
    }

    [Fact]
    public void Missing_shard_names_index_and_shard()
    {
        var dir = TinyCheckpoints.WriteLlama(TinyCheckpoints.NewFolder("shardgone"), new TinyLlamaSpec { Sharded = true });
        File.Delete(Path.Combine(dir, "model-00002-of-00002.safetensors"));
        var e = Assert.Throws<CheckpointNotFoundException>(() => ModelLoader.Load(dir));
        Assert.Contains("model-00002-of-00002.safetensors", e.Message);
        Assert.Contains("model.safetensors.index.json", e.Message);
    }

    [Fact]
    public void Bad_config_field_names_file_and_field()
    {
        var dir = TinyCheckpoints.WriteLlama(TinyCheckpoints.NewFolder("badfield"));
        var configPath = Path.Combine(dir, "config.json");
        var config = JsonNode.Parse(File.ReadAllText(configPath))!.AsObject();
        config["num_attention_heads"] = "four";
        File.WriteAllText(configPath, config.ToJsonString());
        var e = Assert.Throws<CheckpointFormatException>(() => ModelLoader.Load(dir));
        Assert.Contains("num_attention_heads", e.Message);
        Assert.Contains(configPath, e.Message);
    }

    [Fact]
    public void Pytorch_bin_loads_through_pybridge()
    {
        var spec = new TinyGpt2Spec();
        var dir = TinyCheckpoints.WriteGpt2(TinyCheckpoints.NewFolder("bin"), spec);
        var safetensors = Path.Combine(dir, "model.safetensors");
        var tensors = SafetensorsFile.Open(safetensors).ReadAll();
        using (var stream = File.Create(Path.Combine(dir, "pytorch_model.bin")))
            TorchSharp.PyBridge.PyTorchPickler.PickleStateDict(stream, tensors);
        File.Delete(safetensors);
        using var model = ModelLoader.Load(dir);
        AssertWeightsEqual(model, TinyCheckpoints.Gpt2Tensors(spec));
    }

    [Fact]
    public void Fp16_on_the_cpu_is_refused_with_a_hint()
    {
        var dir = TinyCheckpoints.WriteGpt2(TinyCheckpoints.NewFolder("fp16"));
        var e = Assert.Throws<ArgumentException>(() => ModelLoader.Load(dir, new ModelLoadOptions { ComputeDtype = ScalarType.Float16, Device = "cpu" }));
        Assert.Contains("BFloat16", e.Message);
    }
}
