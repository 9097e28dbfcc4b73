using System.Buffers.Binary;
using System.Text.Json.Nodes;
using LoraDsl.Adapters;
using LoraDsl.Checkpoints;
using LoraDsl.Lora;
using LoraDsl.Models;
using LoraDsl.Tests.Lora.TestModels;
using TorchSharp;
using Xunit;
using static TorchSharp.torch;

namespace LoraDsl.Tests.Adapters;

public class AdapterFileFormatTests
{
    static readonly LoraOptions Options = new() { Rank = 4, Alpha = 8, Dropout = 0.1 };

    static JsonObject Header(string file)
    {
        var bytes = File.ReadAllBytes(file);
        var length = (int)BinaryPrimitives.ReadUInt64LittleEndian(bytes);
        return JsonNode.Parse(bytes.AsSpan(8, length))!.AsObject();
    }

    static JsonObject Config(string folder) => JsonNode.Parse(File.ReadAllText(Path.Combine(folder, AdapterFiles.ConfigFile)))!.AsObject();

    static long[] Shape(JsonObject header, string name) => [.. header[name]!["shape"]!.AsArray().Select(n => n!.GetValue<long>())];

    [Fact]
    public void Llama_adapter_files_use_PEFT_names_shapes_and_config_keys()
    {
        using var folder = new AdapterFolder();
        var model = new TinyLlama(ModelTask.SequenceClassification);
        var injection = LoraInjector.Inject(model, Options with { ModulesToSave = ["classifier"] },
            [.. Enumerable.Range(0, TinyLlama.Layers).SelectMany(i => new LoraTarget[] { $"model.layers.{i}.self_attn.q_proj", $"model.layers.{i}.self_attn.v_proj" })]);
        AdapterWriter.Save(folder.Path, model, injection);

        var header = Header(folder.File(AdapterFiles.WeightsFile));
        Assert.Equal("pt", header["__metadata__"]!["format"]!.GetValue<string>());
        string[] expected =
        [
            .. Enumerable.Range(0, TinyLlama.Layers).SelectMany(i => new[] { "q_proj", "v_proj" }.SelectMany(p => new[]
            {
                $"base_model.model.model.layers.{i}.self_attn.{p}.lora_A.weight",
                $"base_model.model.model.layers.{i}.self_attn.{p}.lora_B.weight",
            })),
            "base_model.model.classifier.weight", "base_model.model.classifier.bias",
        ];
        Assert.Equal(expected.Order(StringComparer.Ordinal), header.Select(kv => kv.Key).Where(k => k != "__metadata__").Order(StringComparer.Ordinal));
        Assert.Equal([4L, 16L], Shape(header, "base_model.model.model.layers.0.self_attn.q_proj.lora_A.weight"));
        Assert.Equal([16L, 4L], Shape(header, "base_model.model.model.layers.0.self_attn.q_proj.lora_B.weight"));
        Assert.Equal("F32", header["base_model.model.model.layers.0.self_attn.q_proj.lora_A.weight"]!["dtype"]!.GetValue<string>());
        Assert.Equal([3L, 16L], Shape(header, "base_model.model.classifier.weight"));

        var config = Config(folder.Path);
        Assert.Equal("LORA", config["peft_type"]!.GetValue<string>());
        Assert.Equal(4, config["r"]!.GetValue<int>());
        Assert.Equal(8, config["lora_alpha"]!.GetValue<double>());
        Assert.Equal(0.1, config["lora_dropout"]!.GetValue<double>());
        Assert.Equal(["q_proj", "v_proj"], config["target_modules"]!.AsArray().Select(n => n!.GetValue<string>()));
        Assert.Equal("none", config["bias"]!.GetValue<string>());
        Assert.False(config["fan_in_fan_out"]!.GetValue<bool>());
        Assert.Equal(["classifier"], config["modules_to_save"]!.AsArray().Select(n => n!.GetValue<string>()));
        Assert.Equal("SEQ_CLS", config["task_type"]!.GetValue<string>());
        Assert.Equal("tiny-llama", config["base_model_name_or_path"]!.GetValue<string>());
        Assert.False(config["use_rslora"]!.GetValue<bool>());
        Assert.False(config["use_dora"]!.GetValue<bool>());
        Assert.True(config["init_lora_weights"]!.GetValue<bool>());
        Assert.True(config["inference_mode"]!.GetValue<bool>());
        Assert.Empty(config["rank_pattern"]!.AsObject());
        Assert.Empty(config["alpha_pattern"]!.AsObject());
        foreach (var key in new[] { "layers_to_transform", "layers_pattern", "revision" })
        {
            Assert.True(config.ContainsKey(key), key);
            Assert.Null(config[key]);
        }
    }

    [Fact]
    public void Gpt2_adapter_is_fan_in_fan_out_with_a_full_size_B_and_exact_target_names()
    {
        using var folder = new AdapterFolder();
        var model = new TinyGpt2();
        var injection = LoraInjector.Inject(model, Options with { UseDora = false, Init = LoraInit.Gaussian },
            [new LoraTarget("transformer.h.0.attn.c_attn", [new OutputSlice(TinyGpt2.Hidden, TinyGpt2.Hidden)])]);
        AdapterRoundTripTests.RandomizeTrainable(model, 21);
        AdapterWriter.Save(folder.Path, model, injection);

        var header = Header(folder.File(AdapterFiles.WeightsFile));
        Assert.Equal([4L, 16L], Shape(header, "base_model.model.transformer.h.0.attn.c_attn.lora_A.weight"));
        Assert.Equal([48L, 4L], Shape(header, "base_model.model.transformer.h.0.attn.c_attn.lora_B.weight"));
        var config = Config(folder.Path);
        Assert.True(config["fan_in_fan_out"]!.GetValue<bool>());
        Assert.Equal("gaussian", config["init_lora_weights"]!.GetValue<string>());
        Assert.Equal("CAUSAL_LM", config["task_type"]!.GetValue<string>());
        // Only layer 0 is adapted, so the suffix "c_attn" would over-select: the full path is written.
        Assert.Equal(["transformer.h.0.attn.c_attn"], config["target_modules"]!.AsArray().Select(n => n!.GetValue<string>()));

        var tensors = TorchSharp.PyBridge.Safetensors.LoadStateDict(folder.File(AdapterFiles.WeightsFile));
        var b = tensors["base_model.model.transformer.h.0.attn.c_attn.lora_B.weight"];
        Assert.Equal(0, b[..16].count_nonzero().item<long>());
        Assert.Equal(0, b[32..].count_nonzero().item<long>());
        Assert.Equal(16 * 4, b[16..32].count_nonzero().item<long>());
    }

    [Fact]
    public void Dora_writes_the_magnitude_vector_without_a_weight_suffix()
    {
        using var folder = new AdapterFolder();
        var model = new TinyLlama();
        var injection = LoraInjector.Inject(model, Options with { UseDora = true }, ["model.layers.0.mlp.down_proj"]);
        AdapterWriter.Save(folder.Path, model, injection);
        var header = Header(folder.File(AdapterFiles.WeightsFile));
        Assert.Equal([16L], Shape(header, "base_model.model.model.layers.0.mlp.down_proj.lora_magnitude_vector"));
        Assert.Equal([4L, 32L], Shape(header, "base_model.model.model.layers.0.mlp.down_proj.lora_A.weight"));
        Assert.True(Config(folder.Path)["use_dora"]!.GetValue<bool>());
    }

    /// <summary>An adapter folder as Python PEFT writes it, with extra keys a newer PEFT may add.</summary>
    internal static void WritePeftStyleAdapter(string folder, string keyInfix, int seed, ScalarType dtype = ScalarType.BFloat16, JsonObject? extraConfig = null)
    {
        var config = new JsonObject
        {
            ["peft_type"] = "LORA", ["r"] = 2, ["lora_alpha"] = 4, ["target_modules"] = new JsonArray("q_proj", "v_proj"),
            ["base_model_name_or_path"] = "tiny-llama", ["task_type"] = "CAUSAL_LM", ["peft_version"] = "0.99.0",
            ["some_future_option"] = new JsonObject { ["enabled"] = true }, ["rank_pattern"] = new JsonObject { ["v_proj"] = 3 },
            ["alpha_pattern"] = new JsonObject(), ["megatron_config"] = null,
        };
        foreach (var (key, value) in extraConfig ?? []) config[key] = value?.DeepClone();
        File.WriteAllText(Path.Combine(folder, AdapterFiles.ConfigFile), config.ToJsonString());
        var generator = new Generator((ulong)seed);
        var tensors = new Dictionary<string, Tensor>();
        foreach (var (module, rank) in new[] { ("q_proj", 2L), ("v_proj", 3L) })
        {
            var prefix = $"base_model.model.model.layers.1.self_attn.{module}";
            tensors[$"{prefix}.lora_A{keyInfix}.weight"] = randn([rank, 16], generator: generator).to(dtype);
            tensors[$"{prefix}.lora_B{keyInfix}.weight"] = randn([16, rank], generator: generator).to(dtype);
        }
        SafetensorsWriter.Write(Path.Combine(folder, AdapterFiles.WeightsFile), tensors, new Dictionary<string, string> { ["format"] = "pt" });
        foreach (var t in tensors.Values) t.Dispose();
    }

    [Theory]
    [InlineData("")]
    [InlineData(".default")]
    public void A_PEFT_written_adapter_loads_with_its_rank_pattern_and_computes_the_formula(string keyInfix)
    {
        using var folder = new AdapterFolder();
        WritePeftStyleAdapter(folder.Path, keyInfix, seed: 31);
        var model = new TinyLlama();
        var loaded = AdapterReader.Load(folder.Path, model);
        Assert.Equal(["model.layers.1.self_attn.q_proj", "model.layers.1.self_attn.v_proj"], loaded.Modules.Select(m => m.Path));
        Assert.Equal([2, 3], loaded.Modules.Select(m => m.Rank));

        var tensors = TorchSharp.PyBridge.Safetensors.LoadStateDict(folder.File(AdapterFiles.WeightsFile));
        var v = loaded.Modules[1];
        using var a = tensors[$"base_model.model.model.layers.1.self_attn.v_proj.lora_A{keyInfix}.weight"].to(ScalarType.Float32);
        using var b = tensors[$"base_model.model.model.layers.1.self_attn.v_proj.lora_B{keyInfix}.weight"].to(ScalarType.Float32);
        Assert.True(Identical.Tensors(v.Adapter.A, a));
        var linear = (TorchSharp.Modules.Linear)v.Layer.Base.Module;
        using var x = randn(3, 16);
        v.Layer.eval();
        using var y = v.Layer.call(x);
        using var expected = matmul(x, linear.weight.t()) + linear.bias! + 4.0 / 3.0 * matmul(matmul(x, a.t()), b.t());
        Assert.True(y.allclose(expected, rtol: 1e-5, atol: 1e-5));
    }
}
