using System.Text;
using System.Text.Json.Nodes;
using LoraDsl.Adapters;
using LoraDsl.Adapters.Combination;
using LoraDsl.Checkpoints;
using LoraDsl.Data;
using LoraDsl.Dsl;
using LoraDsl.Lora;
using LoraDsl.Outputs;
using LoraDsl.Tests.Data;
using LoraDsl.Tests.Examples;
using LoraDsl.Tests.TestCheckpoints;
using LoraDsl.Tests.Training;
using LoraDsl.Training;
using Xunit;
using static TorchSharp.torch;
using TinyLlamaModel = LoraDsl.Tests.Lora.TestModels.TinyLlama;

namespace LoraDsl.Tests.Errors;

/// <summary>Issue 20 (reliability, round 3): each finding of the probes, as a check that failed before its fix.</summary>
[Collection(TorchRandomCollection.Name)]
public class ReliabilityRound3Tests
{
    // ---- reproduce (items 3 and 10) ----

    /// <summary>A run folder with a run.json for the quickstart's spam-minilm recipe and one recorded loss.</summary>
    static string RunJson(Action<JsonObject> edit, bool metrics = true)
    {
        var run = TinyCheckpoints.NewFolder("repro-record");
        var data = Path.Combine(run, "data.jsonl");
        File.WriteAllText(data, "{\"text\":\"a\",\"label\":\"x\"}\n");
        var model = TinyCheckpoints.WriteGpt2(Path.Combine(run, "base"));
        var json = new JsonObject
        {
            ["recipe"] = new JsonObject { ["name"] = "spam-minilm", ["source_sha256"] = Quickstart.SpamRecipe.Definition.SourceSha256 },
            ["overrides"] = new JsonArray(),
            ["data_files"] = new JsonArray(RunManifest.FileIdentity(data)),
            ["base_model"] = RunManifest.BaseModelRecord(model),
        };
        edit(json);
        File.WriteAllText(Path.Combine(run, RunManifest.FileName), json.ToJsonString());
        if (metrics) File.WriteAllText(Path.Combine(run, MetricsFileWriter.JsonLinesFile), "{\"kind\":\"train\",\"step\":1,\"loss\":2.5}\n");
        return Path.Combine(run, RunManifest.FileName);
    }

    [Fact]
    public void Reproduce_of_a_short_source_sha256_is_a_refusal_naming_it_not_a_string_index_crash()
    {
        var runJson = RunJson(j => j["recipe"]!["source_sha256"] = "abc");
        var output = Path.Combine(Path.GetDirectoryName(runJson)!, "again");
        var (exit, _, stderr) = CliCapture.Run(["reproduce", runJson, "--output", output]);
        Assert.Equal(2, exit);
        Assert.Contains("source changed (run.json: abc", stderr);
        Assert.DoesNotContain("Index and length", stderr);
        Assert.False(Directory.Exists(output));
    }

    [Fact]
    public void Reproduce_refuses_a_run_json_without_its_records_or_with_a_changed_base_model_before_running()
    {
        foreach (var (edit, expected) in new (Action<JsonObject>, string)[]
        {
            (j => j["recipe"]!.AsObject().Remove("source_sha256"), "records no recipe.source_sha256"),
            (j => j.Remove("data_files"), "records no data_files"),
            (j => j["data_files"]![0]!.AsObject().Remove("sha256"), "records no sha256 for data file"),
            (j => j.Remove("base_model"), "records no base_model"),
            (j => File.AppendAllText(Path.Combine(j["base_model"]!["path"]!.GetValue<string>(), "config.json"), " "), "config.json changed since the run"),
            (j => j["base_model"]!["weights"]![0]!["bytes"] = 1, "weight files changed since the run"),
        })
        {
            var runJson = RunJson(edit);
            var output = Path.Combine(Path.GetDirectoryName(runJson)!, "again");
            var (exit, _, stderr) = CliCapture.Run(["reproduce", runJson, "--output", output]);
            Assert.True(exit == 2, $"{expected}: exit {exit}, {stderr}");
            Assert.Contains(expected, stderr);
            Assert.Contains("--force", stderr);
            Assert.False(Directory.Exists(output));
        }

        // metrics.jsonl is read before the rerun, not after it.
        var noMetrics = RunJson(_ => { }, metrics: false);
        var folder = Path.Combine(Path.GetDirectoryName(noMetrics)!, "again");
        var missing = CliCapture.Run(["reproduce", noMetrics, "--output", folder, "--force"]);
        Assert.Equal(1, missing.Exit);
        Assert.Contains("metrics.jsonl is missing", missing.Stderr);
        Assert.False(Directory.Exists(folder));
    }

    // ---- adapter files (items 4, 7, 9) ----

    static (string Folder, TinyLlamaModel Model) SavedTinyLlamaAdapter(string label)
    {
        var folder = TinyCheckpoints.NewFolder(label);
        var model = new TinyLlamaModel();
        var injection = LoraInjector.Inject(model, new LoraOptions { Rank = 2, Alpha = 4 },
            ["model.layers.0.self_attn.q_proj", "model.layers.0.self_attn.v_proj", "model.layers.1.self_attn.q_proj", "model.layers.1.self_attn.v_proj"]);
        AdapterWriter.Save(folder, model, injection);
        return (folder, model);
    }

    static void EditConfig(string folder, Action<JsonObject> edit)
    {
        var path = Path.Combine(folder, AdapterFiles.ConfigFile);
        var json = JsonNode.Parse(File.ReadAllText(path))!.AsObject();
        edit(json);
        File.WriteAllText(path, json.ToJsonString());
    }

    [Fact]
    public void A_duplicate_key_in_adapter_config_takes_the_last_value_as_python_json_does()
    {
        using var dir = new TempFolder();
        var path = dir.Write(AdapterFiles.ConfigFile, "{\"peft_type\": \"LORA\", \"r\": 2, \"lora_alpha\": 8, \"r\": 4, \"target_modules\": [\"q_proj\"]}");
        var config = AdapterConfig.Read(path);
        Assert.Equal(4, config.R);
        Assert.Equal(8, config.LoraAlpha);
    }

    [Fact]
    public void A_nan_or_infinite_adapter_tensor_is_an_error_naming_it_when_read()
    {
        var (folder, _) = SavedTinyLlamaAdapter("nan-adapter");
        var weights = Path.Combine(folder, AdapterFiles.WeightsFile);
        var tensors = SafetensorsFile.Open(weights).ReadAll();
        var key = tensors.Keys.Order(StringComparer.Ordinal).First(k => k.Contains("lora_A", StringComparison.Ordinal));
        tensors[key] = tensors[key].clone();
        tensors[key][0, 0] = float.NaN;
        SafetensorsWriter.Write(weights, tensors);
        var e = Assert.Throws<CheckpointFormatException>(() => AdapterReader.Load(folder, new TinyLlamaModel()));
        Assert.Contains(key, e.Message);
        Assert.Contains(weights, e.Message);
        Assert.Contains("NaN", e.Message);
    }

    [Fact]
    public void Adapter_config_selections_are_honoured_on_load_as_peft_does()
    {
        static string[] Adapted(LoraInjection injection) => [.. injection.Modules.Select(m => m.Path).Order(StringComparer.Ordinal)];

        // A string target_modules is a regular expression that must match the whole module name.
        var (regex, _) = SavedTinyLlamaAdapter("select-regex");
        EditConfig(regex, j => j["target_modules"] = @"model\.layers\.1\.self_attn\.(q|v)_proj");
        var loaded = AdapterReader.Load(regex, new TinyLlamaModel());
        Assert.Equal(["model.layers.1.self_attn.q_proj", "model.layers.1.self_attn.v_proj"], Adapted(loaded));
        Assert.Equal(4, loaded.UnusedTensors.Count); // layer 0's A and B of q and v
        Assert.All(loaded.UnusedTensors, t => Assert.Contains("layers.0.", t));

        // A partial match selects nothing (re.fullmatch): PEFT's "Target modules ... not found".
        EditConfig(regex, j => j["target_modules"] = "q_proj");
        Assert.Contains("not found", Assert.Throws<AdapterMismatchException>(() => AdapterReader.Load(regex, new TinyLlamaModel())).Message);

        // An empty list selects nothing.
        EditConfig(regex, j => j["target_modules"] = new JsonArray());
        var empty = Assert.Throws<AdapterMismatchException>(() => AdapterReader.Load(regex, new TinyLlamaModel()));
        Assert.Contains("Target modules [] not found", empty.Message);
        Assert.Contains(AdapterFiles.ConfigFile, empty.Message);

        // layers_to_transform narrows a list to those layers; layer 5 of a 2-layer model selects nothing.
        EditConfig(regex, j => { j["target_modules"] = new JsonArray("q_proj", "v_proj"); j["layers_to_transform"] = new JsonArray(1); j["layers_pattern"] = "layers"; });
        Assert.Equal(["model.layers.1.self_attn.q_proj", "model.layers.1.self_attn.v_proj"], Adapted(AdapterReader.Load(regex, new TinyLlamaModel())));
        EditConfig(regex, j => j["layers_to_transform"] = new JsonArray(5));
        Assert.Contains("layers_to_transform [5]", Assert.Throws<AdapterMismatchException>(() => AdapterReader.Load(regex, new TinyLlamaModel())).Message);

        // A config without target_modules narrows nothing: every module in the file loads.
        EditConfig(regex, j => { j.Remove("target_modules"); j.Remove("layers_to_transform"); });
        Assert.Equal(4, AdapterReader.Load(regex, new TinyLlamaModel()).Modules.Count);
    }

    [Fact]
    public void Peft_module_matching_follows_peft_rules()
    {
        Assert.True(PeftModuleMatch.IsNamed("model.layers.0.self_attn.q_proj", "q_proj"));
        Assert.True(PeftModuleMatch.IsNamed("q_proj", "q_proj"));
        Assert.False(PeftModuleMatch.IsNamed("model.layers.0.self_attn.xq_proj", "q_proj"));
        Assert.Matches(PeftModuleMatch.FullMatch(@".*\.q_proj"), "model.layers.0.self_attn.q_proj");
        Assert.DoesNotMatch(PeftModuleMatch.FullMatch("q_proj"), "model.layers.0.self_attn.q_proj");
        Assert.Equal(3, PeftModuleMatch.LayerIndex("transformer.h.3.attn.c_attn", null));
        Assert.Equal(3, PeftModuleMatch.LayerIndex("transformer.h.3.attn.c_attn", "h"));
        Assert.Null(PeftModuleMatch.LayerIndex("transformer.h.3.attn.c_attn", "layers"));
        Assert.Null(PeftModuleMatch.LayerIndex("lm_head", null));
        string[] targets = ["q_proj"];
        Assert.True(PeftModuleMatch.Selects("model.layers.1.self_attn.q_proj", targets, null, [1], "layers"));
        Assert.False(PeftModuleMatch.Selects("model.layers.0.self_attn.q_proj", targets, null, [1], "layers"));
        Assert.False(PeftModuleMatch.Selects("model.layers.1.self_attn.q_proj", targets, null, null, null, ["model.layers.1.self_attn.q_proj"]));
        // A full name in the list is selected whatever layers_to_transform says (PEFT checks `key in target_modules` first).
        Assert.True(PeftModuleMatch.Selects("model.layers.0.self_attn.q_proj", ["model.layers.0.self_attn.q_proj"], null, [1], "layers"));
    }

    // ---- combine (item 6) ----

    [Fact]
    public void Dare_with_density_zero_is_refused_since_it_divides_by_the_density()
    {
        foreach (var method in new[] { CombinationMethod.DareLinear, CombinationMethod.DareTies })
        {
            var e = Assert.Throws<ArgumentException>(() => new CombinationOptions { Method = method, Density = 0 }.Validate());
            Assert.Contains("(0, 1]", e.Message);
        }
        new CombinationOptions { Method = CombinationMethod.Ties, Density = 0 }.Validate();
        new CombinationOptions { Method = CombinationMethod.DareLinear, Density = 0.5 }.Validate();
    }

    // ---- models (items 5, 7, 8, 18) ----

    [Fact]
    public void Non_finite_logits_are_an_error_naming_the_weight_not_a_json_crash()
    {
        var checkpoint = TinyCheckpoints.WriteGpt2(TinyCheckpoints.NewFolder("nan-logits"));
        var weights = Path.Combine(checkpoint, "model.safetensors");
        var tensors = SafetensorsFile.Open(weights).ReadAll();
        var key = tensors.Keys.First(k => k.EndsWith("h.0.mlp.c_fc.weight", StringComparison.Ordinal));
        tensors[key] = full_like(tensors[key], float.PositiveInfinity);
        SafetensorsWriter.Write(weights, tensors);
        var output = Path.Combine(checkpoint, "logits.json");
        var (exit, _, stderr) = CliCapture.Run(["logits", "--model", checkpoint, "--ids", "1,2,3", "--output", output]);
        Assert.Equal(1, exit);
        Assert.Contains("non-finite logits", stderr);
        Assert.Contains("h.0.mlp.c_fc.weight", stderr);
        Assert.DoesNotContain("JSON value", stderr);
        Assert.False(File.Exists(output));
    }

    [Fact]
    public void A_dense_folder_whose_config_declares_bitsandbytes_4bit_is_one_error()
    {
        var checkpoint = TinyCheckpoints.WriteGpt2(TinyCheckpoints.NewFolder("dense-bnb"));
        var configPath = Path.Combine(checkpoint, "config.json");
        var config = JsonNode.Parse(File.ReadAllText(configPath))!.AsObject();
        config["quantization_config"] = new JsonObject { ["quant_method"] = "bitsandbytes", ["load_in_4bit"] = true, ["bnb_4bit_quant_type"] = "nf4" };
        File.WriteAllText(configPath, config.ToJsonString());
        var e = Assert.Throws<CheckpointFormatException>(() => ModelLoader.Load(checkpoint).Dispose());
        Assert.Contains(configPath, e.Message);
        Assert.Contains("no 4-bit layer", e.Message);
    }

    [Fact]
    public void A_nan_quant_map_or_infinite_nested_absmax_in_a_4bit_folder_is_an_error_naming_the_tensor()
    {
        var source = TinyCheckpoints.WriteLlama(TinyCheckpoints.NewFolder("nan-4bit"));
        var quantised = Path.Combine(Path.GetDirectoryName(source)!, "nan-4bit-q");
        var run = CliCapture.Run(["quantize", "--model", source, "--output", quantised, "--blocksize", "32"]);
        Assert.True(run.Exit == 0, run.Stderr);
        var file = Directory.GetFiles(quantised, "*.safetensors").Single();
        var clean = SafetensorsFile.Open(file).ReadAll();
        foreach (var suffix in new[] { ".quant_map", ".nested_absmax" })
        {
            var tensors = clean.ToDictionary(kv => kv.Key, kv => kv.Value.clone());
            var key = tensors.Keys.Order(StringComparer.Ordinal).First(k => k.EndsWith(suffix, StringComparison.Ordinal));
            tensors[key][0] = suffix == ".quant_map" ? float.NaN : float.PositiveInfinity;
            SafetensorsWriter.Write(file, tensors);
            var e = Assert.Throws<CheckpointFormatException>(() => ModelLoader.Load(quantised).Dispose());
            Assert.Contains(key, e.Message);
        }
    }

    [Fact]
    public void A_model_argument_that_is_a_file_or_a_missing_folder_says_so()
    {
        var dir = TinyCheckpoints.NewFolder("model-arg");
        var file = Path.Combine(dir, "config.json");
        File.WriteAllText(file, "{}");
        var (exit, _, stderr) = CliCapture.Run(["logits", "--model", file, "--ids", "1"]);
        Assert.Equal(1, exit);
        Assert.Contains("is a file", stderr);
        Assert.DoesNotContain("Unknown built-in model", stderr);

        var missing = Path.Combine(dir, "no-such-model");
        (exit, _, stderr) = CliCapture.Run(["logits", "--model", missing, "--ids", "1"]);
        Assert.Equal(1, exit);
        Assert.Contains($"'{missing}' does not exist", stderr);

        var (adapter, _) = SavedTinyLlamaAdapter("model-arg-adapter");
        EditConfig(adapter, j => j["base_model_name_or_path"] = missing);
        (exit, _, stderr) = CliCapture.Run(["logits", "--adapter", adapter, "--ids", "1"]);
        Assert.Equal(1, exit);
        Assert.Contains("base_model_name_or_path", stderr);
        Assert.Contains("does not exist", stderr);
    }

    // ---- data (items 12, 13, 19) ----

    [Fact]
    public void Invalid_utf8_in_jsonl_is_an_error_with_file_line_and_byte_offset()
    {
        using var dir = new TempFolder();
        var path = Path.Combine(dir.Path, "bad.jsonl");
        var good = Encoding.UTF8.GetBytes("{\"text\":\"ok\",\"label\":\"a\"}\n");
        File.WriteAllBytes(path, [.. good, .. "{\"text\":\"b"u8.ToArray(), 0xC3, 0x28, .. "\",\"label\":\"b\"}\n"u8.ToArray()]);
        var e = Assert.Throws<DataFormatException>(() => JsonLinesReader.Read(path).ToList());
        Assert.StartsWith($"{path}:2:", e.Message);
        Assert.Contains($"byte offset {good.Length + 10}", e.Message);
    }

    [Fact]
    public void Classification_data_with_one_label_is_an_error()
    {
        using var dir = new TempFolder();
        var file = dir.Write("one.jsonl", string.Join('\n', Enumerable.Range(0, 10).Select(i => $"{{\"text\":\"t {i}\",\"label\":\"spam\"}}")));
        var e = Assert.Throws<DataFormatException>(() => DatasetBuilder.Build(new DataOptions { Files = [file], ValidationFraction = 0, MaxTokens = 16 }, TrainingFixture.Tokenizer));
        Assert.Contains(file, e.Message);
        Assert.Contains("'spam'", e.Message);
        Assert.Contains("at least two classes", e.Message);
    }

    [Fact]
    public void A_null_field_is_reported_as_null_not_missing()
    {
        using var dir = new TempFolder();
        var file = dir.Write("null.jsonl", "{\"instruction\": null, \"output\": \"x\"}\n");
        var record = JsonLinesReader.Read(file).Single();
        var e = Assert.Throws<DataFormatException>(() => record.Require("instruction"));
        Assert.Contains("'instruction' is null", e.Message);
        Assert.DoesNotContain("missing", e.Message);
    }

    // ---- CLI arguments (items 14, 20) ----

    [Fact]
    public void Generate_refuses_a_negative_token_count_or_temperature()
    {
        var checkpoint = TinyCheckpoints.WriteGpt2(TinyCheckpoints.NewFolder("gen-args"));
        foreach (var (option, value) in new[] { ("--max-new-tokens", "-5"), ("--temperature", "-1"), ("--top-p", "0") })
        {
            var (exit, stdout, stderr) = CliCapture.Run(["generate", "--model", checkpoint, "--device", "cpu", "--prompt", "ab", option, value]);
            Assert.NotEqual(0, exit);
            Assert.Contains(option, stderr + stdout);
        }
    }

    [Fact]
    public void Logits_merge_quantize_and_combine_take_the_device_from_device_or_LORADSL_DEVICE()
    {
        var checkpoint = TinyCheckpoints.WriteGpt2(TinyCheckpoints.NewFolder("device-arg"));
        var output = Path.Combine(checkpoint, "out");
        foreach (var args in new[]
        {
            new[] { "logits", "--model", checkpoint, "--ids", "1" },
            ["quantize", "--model", checkpoint, "--output", output],
            ["merge", "--model", checkpoint, "--adapter", checkpoint, "--output", output],
            ["combine", "--method", "linear", "--model", checkpoint, "--adapter", $"a={checkpoint}", "--adapter", $"b={checkpoint}", "--output", output],
        })
        {
            var (exit, _, stderr) = CliCapture.Run([.. args, "--device", "tpu"]);
            Assert.True(exit != 0 && stderr.Contains("Unknown device 'tpu'", StringComparison.Ordinal), $"{args[0]}: exit {exit}, {stderr}");
        }
        var before = Environment.GetEnvironmentVariable(LoraDsl.Native.TorchDevice.EnvironmentVariable);
        try
        {
            Environment.SetEnvironmentVariable(LoraDsl.Native.TorchDevice.EnvironmentVariable, "tpu");
            var (exit, _, stderr) = CliCapture.Run(["logits", "--model", checkpoint, "--ids", "1"]);
            Assert.True(exit != 0 && stderr.Contains("Unknown device 'tpu'", StringComparison.Ordinal), stderr);
        }
        finally
        {
            Environment.SetEnvironmentVariable(LoraDsl.Native.TorchDevice.EnvironmentVariable, before);
        }
    }

    // ---- leftovers (item 15) ----

    [Fact]
    public void Stale_temp_folders_of_a_killed_merge_or_quantize_are_removed_at_the_next_start()
    {
        var dir = TinyCheckpoints.NewFolder("stale-tmp");
        var output = Path.Combine(dir, "merged");
        var stale = Path.Combine(dir, $".merged.{Guid.NewGuid():N}.tmp");
        Directory.CreateDirectory(stale);
        File.WriteAllText(Path.Combine(stale, "model.safetensors"), "half");
        var other = Path.Combine(dir, $".other.{Guid.NewGuid():N}.tmp");
        Directory.CreateDirectory(other);
        var user = Path.Combine(dir, "merged.tmp");
        File.WriteAllText(user, "mine");
        MergedModelFolder.Check(output, overwrite: false);
        Assert.False(Directory.Exists(stale));
        Assert.True(Directory.Exists(other));
        Assert.Equal("mine", File.ReadAllText(user));

        var source = TinyCheckpoints.WriteGpt2(Path.Combine(dir, "base"));
        var quantised = Path.Combine(dir, "q");
        var staleQuantize = Path.Combine(dir, $".q.{Guid.NewGuid():N}.tmp");
        Directory.CreateDirectory(staleQuantize);
        var run = CliCapture.Run(["quantize", "--model", source, "--output", quantised, "--blocksize", "32"]);
        Assert.True(run.Exit == 0, run.Stderr);
        Assert.False(Directory.Exists(staleQuantize));
    }
}
