using System.Buffers.Binary;
using System.Text.Json.Nodes;
using LoraDsl.AdaLora;
using LoraDsl.Adapters;
using LoraDsl.Checkpoints;
using LoraDsl.Lora;
using LoraDsl.Models;
using LoraDsl.Tests.Adapters;
using LoraDsl.Tests.Lora.TestModels;
using TorchSharp;
using Xunit;
using static TorchSharp.torch;

namespace LoraDsl.Tests.AdaLora;

public class AdaLoraAdapterFileTests
{
    static readonly AdaLoraOptions Options = new() { InitR = 4, TargetR = 2, TInit = 1, TFinal = 2, DeltaT = 3, TotalStep = 30, Beta1 = 0.8, Beta2 = 0.9, OrthRegWeight = 0.25 };

    static readonly bool[][] Pattern =
    [
        [true, false, true, true],
        [false, false, false, false], // a module pruned to rank 0: PEFT writes [0, in] tensors
        [true, true, true, true],
        [false, true, false, false],
    ];

    static (TinyLlama Model, LoraInjection Injection) Trained()
    {
        var (model, injection) = AdaLoraTestModels.Create(Options, ModelTask.SequenceClassification);
        AdaLoraTestModels.Randomize(injection, 13);
        for (var m = 0; m < injection.Modules.Count; m++) AdaLoraVariant.Instance.SetKeptRanks(injection.Modules[m].Adapter, Pattern[m]);
        return (model, injection);
    }

    static JsonObject Header(string file)
    {
        var bytes = File.ReadAllBytes(file);
        var length = (int)BinaryPrimitives.ReadUInt64LittleEndian(bytes);
        return JsonNode.Parse(bytes.AsSpan(8, length))!.AsObject();
    }

    static long[] Shape(JsonObject header, string name) => [.. header[name]!["shape"]!.AsArray().Select(n => n!.GetValue<long>())];

    [Fact]
    public void Files_carry_PEFT_names_shapes_resized_to_the_kept_triplets_and_the_AdaLoRA_config()
    {
        using var folder = new AdapterFolder();
        var (model, injection) = Trained();
        AdaLoraAdapterWriter.Save(folder.Path, model, injection, Options);

        var header = Header(folder.File(AdapterFiles.WeightsFile));
        var expectedNames = AdaLoraTestModels.Targets.SelectMany(t => new[] { "lora_A", "lora_E", "lora_B" }.Select(k => $"base_model.model.{t.Path}.{k}"));
        Assert.Equal(expectedNames.Order(StringComparer.Ordinal),
            header.Select(kv => kv.Key).Where(k => k != "__metadata__" && !k.Contains("classifier")).Order(StringComparer.Ordinal));
        for (var m = 0; m < 4; m++)
        {
            var path = AdaLoraTestModels.Targets[m].Path;
            long kept = Pattern[m].Count(k => k);
            Assert.Equal([kept, 16L], Shape(header, $"base_model.model.{path}.lora_A"));
            Assert.Equal([kept, 1L], Shape(header, $"base_model.model.{path}.lora_E"));
            Assert.Equal([16L, kept], Shape(header, $"base_model.model.{path}.lora_B"));
        }
        // The stored rows are exactly the kept ones.
        var stored = SafetensorsFile.Open(folder.File(AdapterFiles.WeightsFile));
        using (var a0 = stored.Read($"base_model.model.{AdaLoraTestModels.Targets[0].Path}.lora_A"))
        using (var index = tensor(new long[] { 0, 2, 3 }))
        using (var expected = injection.Modules[0].Adapter.A.detach().index_select(0, index))
            Assert.True(Identical.Tensors(expected, a0));

        var config = JsonNode.Parse(File.ReadAllText(folder.File(AdapterFiles.ConfigFile)))!.AsObject();
        Assert.Equal("ADALORA", config["peft_type"]!.GetValue<string>());
        Assert.Equal(2, config["target_r"]!.GetValue<int>());
        Assert.Equal(4, config["init_r"]!.GetValue<int>());
        Assert.Equal(1, config["tinit"]!.GetValue<int>());
        Assert.Equal(2, config["tfinal"]!.GetValue<int>());
        Assert.Equal(3, config["deltaT"]!.GetValue<int>());
        Assert.Equal(0.8, config["beta1"]!.GetValue<double>());
        Assert.Equal(0.9, config["beta2"]!.GetValue<double>());
        Assert.Equal(0.25, config["orth_reg_weight"]!.GetValue<double>());
        Assert.Equal(30, config["total_step"]!.GetValue<int>());
        Assert.Equal(8, config["lora_alpha"]!.GetValue<double>());
        Assert.False(config["use_dora"]!.GetValue<bool>());
        var rankPattern = config["rank_pattern"]!.AsObject();
        Assert.Equal(AdaLoraTestModels.Targets.Select(t => t.Path + ".lora_E").Order(StringComparer.Ordinal), rankPattern.Select(kv => kv.Key));
        Assert.Equal(Pattern[1], rankPattern[AdaLoraTestModels.Targets[1].Path + ".lora_E"]!.AsArray().Select(n => n!.GetValue<bool>()));
        Assert.Equal(config.Select(kv => kv.Key).Order(StringComparer.Ordinal), config.Select(kv => kv.Key));
    }

    [Fact]
    public void Save_load_save_is_bit_exact_and_the_loaded_model_gives_the_same_outputs()
    {
        using var first = new AdapterFolder();
        using var second = new AdapterFolder();
        var (model, injection) = Trained();
        AdaLoraAdapterWriter.Save(first.Path, model, injection, Options);

        using var fresh = new TinyLlama(ModelTask.SequenceClassification);
        // The general reader dispatches on peft_type.
        var loaded = AdapterReader.Load(first.Path, fresh);
        Assert.All(loaded.Modules, m => Assert.IsType<AdaLoraVariant>(m.Adapter.Variant));
        model.eval();
        fresh.eval();
        using (var ids = TinyLlama.SampleIds())
        using (var expected = model.Forward(new ModelInputs(ids)))
        using (var actual = fresh.Forward(new ModelInputs(ids)))
            Assert.True(actual.allclose(expected, rtol: 1e-6, atol: 1e-7), "the loaded AdaLoRA adapter computes something else");

        AdaLoraAdapterWriter.Save(second.Path, fresh, loaded, AdaLoraAdapterConfig.Read(first.File(AdapterFiles.ConfigFile)).Options);
        var a = SafetensorsFile.Open(first.File(AdapterFiles.WeightsFile));
        var b = SafetensorsFile.Open(second.File(AdapterFiles.WeightsFile));
        Assert.Equal(a.Names.Order(StringComparer.Ordinal), b.Names.Order(StringComparer.Ordinal));
        foreach (var name in a.Names)
        {
            using var x = a.Read(name);
            using var y = b.Read(name);
            Assert.True(Identical.Tensors(x, y), $"tensor {name} changed through load and save");
        }
        Assert.Equal(File.ReadAllText(first.File(AdapterFiles.ConfigFile)), File.ReadAllText(second.File(AdapterFiles.ConfigFile)));
    }

    [Fact]
    public void Before_any_allocation_all_triplets_are_written_and_rank_pattern_is_null()
    {
        using var folder = new AdapterFolder();
        var (model, injection) = AdaLoraTestModels.Create(Options);
        AdaLoraAdapterWriter.Save(folder.Path, model, injection, Options);
        var config = JsonNode.Parse(File.ReadAllText(folder.File(AdapterFiles.ConfigFile)))!.AsObject();
        Assert.True(config.ContainsKey("rank_pattern"));
        Assert.Null(config["rank_pattern"]);
        Assert.Equal([4L, 16L], Shape(Header(folder.File(AdapterFiles.WeightsFile)), $"base_model.model.{AdaLoraTestModels.Targets[0].Path}.lora_A"));
    }

    [Fact]
    public void A_tensor_that_disagrees_with_the_rank_pattern_is_refused_before_the_model_changes()
    {
        using var folder = new AdapterFolder();
        var (model, injection) = Trained();
        AdaLoraAdapterWriter.Save(folder.Path, model, injection, Options);
        var configFile = folder.File(AdapterFiles.ConfigFile);
        var config = JsonNode.Parse(File.ReadAllText(configFile))!.AsObject();
        config["rank_pattern"]![AdaLoraTestModels.Targets[2].Path + ".lora_E"] = new JsonArray(true, false, true, true);
        File.WriteAllText(configFile, config.ToJsonString());

        using var fresh = new TinyLlama(ModelTask.SequenceClassification);
        var error = Assert.Throws<AdapterMismatchException>(() => AdapterReader.Load(folder.Path, fresh));
        Assert.Contains(AdaLoraTestModels.Targets[2].Path, error.Message);
        Assert.DoesNotContain(fresh.named_modules(), m => m.module is LoraLinear);
    }

    [Fact]
    public void The_checkpoint_store_restores_the_live_adapters_with_their_pruned_rows_and_their_pattern()
    {
        using var folder = new AdapterFolder();
        var (model, injection) = Trained();
        var store = new AdaLoraAdapterStore(model, injection, Options);
        store.Save(folder.Path);
        var saved = injection.Modules.Select(m => (A: m.Adapter.A.detach().clone(), E: AdaLoraVariant.SingularValues(m.Adapter).detach().clone(), B: m.Adapter.B.detach().clone())).ToList();
        AdaLoraTestModels.Randomize(injection, 99);
        foreach (var m in injection.Modules) AdaLoraVariant.Instance.SetKeptRanks(m.Adapter, [true, true, true, true]);

        store.Load(folder.Path);
        for (var m = 0; m < injection.Modules.Count; m++)
        {
            var adapter = injection.Modules[m].Adapter;
            Assert.Equal(Pattern[m], AdaLoraVariant.Instance.KeptRanks(adapter));
            Assert.True(Identical.Tensors(saved[m].E, AdaLoraVariant.SingularValues(adapter).detach()), $"E of module {m}");
            Assert.True(Identical.Tensors(saved[m].A, adapter.A.detach()), $"A of module {m}, pruned rows included");
            Assert.True(Identical.Tensors(saved[m].B, adapter.B.detach()), $"B of module {m}, pruned columns included");
        }
    }
}
