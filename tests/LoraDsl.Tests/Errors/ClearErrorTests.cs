using System.Text.Json.Nodes;
using LoraDsl.Adapters;
using LoraDsl.Checkpoints;
using LoraDsl.Data;
using LoraDsl.Lora;
using LoraDsl.Tests.Data;
using LoraDsl.Tests.Examples;
using LoraDsl.Tests.TestCheckpoints;
using LoraDsl.Tests.Training;
using LoraDsl.Training;
using Xunit;
using static TorchSharp.torch;

namespace LoraDsl.Tests.Errors;

/// <summary>Inputs that used to crash or pass silently now end in one error that names the file and field.</summary>
[Collection(TorchRandomCollection.Name)]
public class ClearErrorTests
{
    static string TinyGpt2Adapter(string checkpoint, Action<Dictionary<string, Tensor>, JsonObject>? edit = null)
    {
        var adapter = TinyCheckpoints.NewFolder("err-adapter");
        using (var model = ModelLoader.Load(checkpoint))
        {
            var injection = LoraInjector.Inject(model, new LoraOptions { Rank = 2 }, [new LoraTarget("transformer.h.0.attn.c_attn")]);
            AdapterWriter.Save(adapter, model, injection, checkpoint);
        }
        if (edit is null) return adapter;
        var weights = Path.Combine(adapter, AdapterFiles.WeightsFile);
        var configPath = Path.Combine(adapter, AdapterFiles.ConfigFile);
        var tensors = SafetensorsFile.Open(weights).ReadAll();
        var config = JsonNode.Parse(File.ReadAllText(configPath))!.AsObject();
        edit(tensors, config);
        SafetensorsWriter.Write(weights, tensors);
        File.WriteAllText(configPath, config.ToJsonString());
        return adapter;
    }

    [Fact]
    public void Adapter_tensors_of_integer_or_bool_dtype_are_refused()
    {
        var checkpoint = TinyCheckpoints.WriteGpt2(TinyCheckpoints.NewFolder("err-base"));
        foreach (var dtype in new[] { ScalarType.Int32, ScalarType.Bool })
        {
            var adapter = TinyGpt2Adapter(checkpoint, (t, _) =>
            {
                var key = t.Keys.First(k => k.Contains("lora_B", StringComparison.Ordinal));
                t[key] = t[key].to(dtype);
            });
            using var model = ModelLoader.Load(checkpoint);
            var e = Assert.Throws<AdapterMismatchException>(() => AdapterReader.Load(adapter, model));
            Assert.Contains("lora_B", e.Message);
            Assert.Contains("floating point", e.Message);
        }
    }

    [Fact]
    public void Target_modules_that_match_nothing_in_the_base_are_refused()
    {
        var checkpoint = TinyCheckpoints.WriteGpt2(TinyCheckpoints.NewFolder("err-base"));
        var adapter = TinyGpt2Adapter(checkpoint, (_, c) => c["target_modules"] = new JsonArray("c_attn", "q_projj"));
        using var model = ModelLoader.Load(checkpoint);
        var e = Assert.Throws<AdapterMismatchException>(() => AdapterReader.Load(adapter, model));
        Assert.Contains("'q_projj'", e.Message);
        Assert.DoesNotContain("'c_attn'", e.Message);
        Assert.Contains(AdapterFiles.ConfigFile, e.Message);
        using var other = ModelLoader.Load(checkpoint);
        Assert.NotNull(AdapterReader.Load(TinyGpt2Adapter(checkpoint), other));
    }

    [Fact]
    public void A_config_with_fewer_layers_than_the_weights_is_refused_instead_of_dropping_them()
    {
        var checkpoint = TinyCheckpoints.WriteGpt2(TinyCheckpoints.NewFolder("err-layers"), new TinyGpt2Spec { Layers = 3 });
        var configPath = Path.Combine(checkpoint, "config.json");
        var config = JsonNode.Parse(File.ReadAllText(configPath))!;
        config["n_layer"] = 2;
        File.WriteAllText(configPath, config.ToJsonString());
        var e = Assert.Throws<CheckpointFormatException>(() => ModelLoader.Load(checkpoint));
        Assert.Contains("h.2.", e.Message);
        Assert.Contains("layer", e.Message);
    }

    [Fact]
    public void A_size_field_beyond_32_bits_is_an_error_not_a_truncation()
    {
        var checkpoint = TinyCheckpoints.WriteGpt2(TinyCheckpoints.NewFolder("err-size"));
        var configPath = Path.Combine(checkpoint, "config.json");
        var config = JsonNode.Parse(File.ReadAllText(configPath))!;
        config["n_embd"] = (1L << 32) + 32; // (int) of it is 32, the real hidden size
        File.WriteAllText(configPath, config.ToJsonString());
        var e = Assert.Throws<CheckpointFormatException>(() => ModelLoader.Load(checkpoint));
        Assert.Contains("n_embd", e.Message);
        Assert.Contains("4294967328", e.Message);
    }

    [Fact]
    public void A_safetensors_shape_whose_size_overflows_is_a_format_error()
    {
        using var dir = new TempFolder();
        var header = """{"w":{"dtype":"F32","shape":[1099511627776,1099511627776],"data_offsets":[0,4]}}""";
        var bytes = System.Text.Encoding.UTF8.GetBytes(header);
        var path = Path.Combine(dir.Path, "model.safetensors");
        File.WriteAllBytes(path, [.. BitConverter.GetBytes((long)bytes.Length), .. bytes, 0, 0, 0, 0]);
        var e = Assert.Throws<CheckpointFormatException>(() => SafetensorsFile.Open(path));
        Assert.Contains("'w'", e.Message);
        Assert.Contains(path, e.Message);

        var offsets = """{"w":{"dtype":"F32","shape":[1],"data_offsets":[9223372036854775803,9223372036854775807]}}""";
        bytes = System.Text.Encoding.UTF8.GetBytes(offsets);
        File.WriteAllBytes(path, [.. BitConverter.GetBytes((long)bytes.Length), .. bytes, 0, 0, 0, 0]);
        Assert.Throws<CheckpointFormatException>(() => SafetensorsFile.Open(path));
    }

    [Fact]
    public void A_truncated_or_garbage_rng_state_names_the_file_instead_of_aborting_in_libtorch()
    {
        using var dir = new TempFolder();
        using var saved = new SavedCheckpoint(dir.Path);
        var rng = saved.File(TrainingCheckpoint.RngFile);
        var good = File.ReadAllBytes(rng);
        var garbage = (byte[])good.Clone();
        garbage.AsSpan(8, 16).Fill(0xFF); // left, seeded and next of the mt19937 state
        foreach (var bad in new[] { good[..100], garbage, Array.Empty<byte>() })
        {
            File.WriteAllBytes(rng, bad);
            Assert.Equal(rng, Assert.Throws<TrainingCheckpointException>(saved.Load).PathAtFault);
        }
        File.WriteAllBytes(rng, good);
        Assert.Equal(7, saved.Load().DataSeed);

        var optimizer = saved.File(TrainingCheckpoint.OptimizerFile);
        File.WriteAllBytes(optimizer, File.ReadAllBytes(optimizer)[..40]);
        Assert.Equal(optimizer, Assert.Throws<TrainingCheckpointException>(saved.Load).PathAtFault);
    }

    [Fact]
    public void Warmup_and_weight_decay_errors_name_the_recipe_setting()
    {
        using var model = TrainingFixture.LanguageModel();
        Assert.Contains("training.warmup_steps", Assert.Throws<ArgumentException>(() => AdamWOptimizer.Create(model, new TrainingOptions { WarmupSteps = -1 })).Message);
        Assert.Contains("training.weight_decay", Assert.Throws<ArgumentException>(() => AdamWOptimizer.Create(model, new TrainingOptions { WeightDecay = -0.1 })).Message);
    }

    [Fact]
    public void An_unclosed_csv_quote_is_reported_at_the_line_it_opens()
    {
        using var dir = new TempFolder();
        // Line 5 opens a row whose first field closes on line 6, where the second field's quote never closes.
        var path = dir.Write("data.csv", "text,label\n\"one\nstill one\",a\nfine,b\n\"multi\nline\",\"never closed\nx,e\n");
        var e = Assert.Throws<DataFormatException>(() => CsvReader.Read(path).ToList());
        Assert.StartsWith($"{path}:6:", e.Message);
    }

    [Fact]
    public void Cli_errors_show_the_outer_message_and_the_inner_cause_and_empty_ids_are_refused()
    {
        var checkpoint = TinyCheckpoints.WriteGpt2(TinyCheckpoints.NewFolder("err-cli"));
        var (exit, _, stderr) = CliCapture.Run(["logits", "--model", checkpoint, "--ids", ""]);
        Assert.Equal(1, exit);
        Assert.Contains("--ids", stderr);

        File.WriteAllText(Path.Combine(checkpoint, "vocab.json"), "{\"a\": 0, \"b\": ");
        (exit, _, stderr) = CliCapture.Run(["generate", "--model", checkpoint, "--device", "cpu", "--prompt", "ab"]);
        Assert.Equal(1, exit);
        Assert.Contains("vocab.json", stderr);
        Assert.Contains("not valid JSON", stderr);
        Assert.DoesNotContain("No tokenizer files", stderr);
    }

    [Fact]
    public void The_cli_device_default_follows_LORADSL_DEVICE()
    {
        var option = LoraDsl.Cli.CommonOptions.Device();
        var before = Environment.GetEnvironmentVariable(LoraDsl.Native.TorchDevice.EnvironmentVariable);
        try
        {
            Environment.SetEnvironmentVariable(LoraDsl.Native.TorchDevice.EnvironmentVariable, "cuda:3");
            var parsed = new System.CommandLine.RootCommand { option }.Parse([]);
            Assert.Equal("cuda:3", parsed.GetValue(option));
            Environment.SetEnvironmentVariable(LoraDsl.Native.TorchDevice.EnvironmentVariable, null);
            Assert.Equal("auto", new System.CommandLine.RootCommand { option }.Parse([]).GetValue(option));
        }
        finally
        {
            Environment.SetEnvironmentVariable(LoraDsl.Native.TorchDevice.EnvironmentVariable, before);
        }
    }

    [Fact]
    public void A_label_typo_that_makes_a_third_class_is_warned_with_every_class_and_count()
    {
        using var dir = new TempFolder();
        var lines = Enumerable.Range(0, 60).Select(i => $"{{\"text\":\"t {i}\",\"label\":\"{(i == 7 ? "postive" : i % 2 == 0 ? "positive" : "negative")}\"}}");
        var file = dir.Write("reviews.jsonl", string.Join('\n', lines));
        var data = DatasetBuilder.Build(new DataOptions { Files = [file], ValidationFraction = 0, MaxTokens = 16 }, TrainingFixture.Tokenizer);
        var warning = Assert.Single(data.Warnings);
        Assert.Contains(file, warning);
        Assert.Contains("'postive' (1) looks like a typo of 'positive' (30)", warning);
        Assert.Contains("negative 29", warning);

        var clean = dir.Write("clean.jsonl", string.Join('\n', lines.Select(l => l.Replace("postive", "positive", StringComparison.Ordinal))));
        Assert.Empty(DatasetBuilder.Build(new DataOptions { Files = [clean], ValidationFraction = 0, MaxTokens = 16 }, TrainingFixture.Tokenizer).Warnings);
    }
}
