using System.Text;
using System.Text.Json.Nodes;
using LoraDsl.Checkpoints;
using LoraDsl.Lora;
using LoraDsl.Models;
using LoraDsl.Modules;
using LoraDsl.Quantization;
using LoraDsl.Tests.TestCheckpoints;
using TorchSharp;
using TorchSharp.Modules;
using Xunit;
using static TorchSharp.torch;

namespace LoraDsl.Tests.Quantization;

public class QuantizedCheckpointTests
{
    static readonly QuantizationOptions Fp32Compute = new() { ComputeDtype = ScalarType.Float32 };
    const string QProj = "model.layers.0.self_attn.q_proj";

    /// <summary>Same dtype, same shape, same values.</summary>
    static bool Same(Tensor a, Tensor b)
    {
        if (a.dtype != b.dtype || !a.shape.SequenceEqual(b.shape)) return false;
        using var eq = a.eq(b);
        using var all = eq.all();
        return all.ToBoolean();
    }

    static Tensor Ids() => tensor(new long[] { 5, 17, 42, 99, 3, 250, 7, 64 }).reshape(2, 4);

    /// <summary>Logits of the dense model whose every quantised layer holds dequant(codes): what 4-bit forward must equal.</summary>
    static Tensor ReferenceLogits(string folder, PretrainedModel quantized)
    {
        using var dense = ModelLoader.Load(folder);
        using (no_grad())
            foreach (var (path, module) in quantized.named_modules())
            {
                if (module is not Linear4Bit q) continue;
                using var w = q.Dequantize();
                switch (ModuleSurgery.Find(dense, path))
                {
                    case Linear l: l.weight!.copy_(w); break;
                    case Conv1D c: using (var t = w.t()) c.Weight.copy_(t); break;
                }
            }
        using var ids = Ids();
        using var _ = no_grad();
        return dense.Forward(new ModelInputs(ids));
    }

    static Dictionary<string, Tensor> ReadAll(string folder)
    {
        using var source = HfCheckpoint.Open(folder).OpenTensors();
        return source.Names.ToDictionary(n => n, source.Read);
    }

    /// <summary>A copy of a saved 4-bit folder with its tensors edited.</summary>
    static string Edited(string folder, Action<Dictionary<string, Tensor>> edit)
    {
        var tensors = ReadAll(folder);
        edit(tensors);
        var copy = TinyCheckpoints.NewFolder("qlora-edited");
        File.Copy(Path.Combine(folder, "config.json"), Path.Combine(copy, "config.json"));
        SafetensorsWriter.Write(Path.Combine(copy, "model.safetensors"), tensors);
        return copy;
    }

    static string SavedFourBit(QuantizationOptions? options = null)
    {
        var source = TinyCheckpoints.WriteLlama(TinyCheckpoints.NewFolder("qlora-src"));
        using var model = ModelLoader.Load(source, new ModelLoadOptions { Quantization = options ?? Fp32Compute });
        var saved = Path.Combine(TinyCheckpoints.NewFolder("qlora-saved"), "nf4");
        HfCheckpointWriter.Save(model, source, saved);
        return saved;
    }

    [Fact]
    public void Load_in_4bit_quantises_the_decoder_linears_and_keeps_embeddings_norms_and_head()
    {
        var folder = TinyCheckpoints.WriteLlama(TinyCheckpoints.NewFolder("qlora-load"));
        using var model = ModelLoader.Load(folder, new ModelLoadOptions { Quantization = Fp32Compute with { SkipModules = ["down_proj"] } });
        var kinds = model.named_modules().ToDictionary(m => m.name, m => m.module.GetType().Name);
        foreach (var layer in new[] { 0, 1 })
        {
            foreach (var name in new[] { "self_attn.q_proj", "self_attn.k_proj", "self_attn.v_proj", "self_attn.o_proj", "mlp.gate_proj", "mlp.up_proj" })
                Assert.Equal(nameof(Linear4Bit), kinds[$"model.layers.{layer}.{name}"]);
            Assert.Equal("Linear", kinds[$"model.layers.{layer}.mlp.down_proj"]);
        }
        Assert.Equal("Linear", kinds["lm_head"]);
        Assert.Equal("Embedding", kinds["model.embed_tokens"]);
        using var expected = ReferenceLogits(folder, model);
        using var ids = Ids();
        using var _ = no_grad();
        using var logits = model.Forward(new ModelInputs(ids));
        Assert.True(logits.allclose(expected, rtol: 1e-4, atol: 1e-4));
    }

    [Fact]
    public void Gpt2_conv1d_layers_quantise_as_out_by_in_and_dequantise_back_to_conv1d()
    {
        var folder = TinyCheckpoints.WriteGpt2(TinyCheckpoints.NewFolder("qlora-gpt2"));
        using var model = ModelLoader.Load(folder, new ModelLoadOptions { Quantization = Fp32Compute });
        var attention = Assert.IsType<Linear4Bit>(ModuleSurgery.Find(model, "transformer.h.0.attn.c_attn"));
        using var dense = ModelLoader.Load(folder);
        var conv = (Conv1D)ModuleSurgery.Find(dense, "transformer.h.0.attn.c_attn");
        Assert.Equal((conv.OutFeatures, conv.InFeatures), (attention.OutFeatures, attention.InFeatures));
        using var expected = ReferenceLogits(folder, model);
        using var ids = Ids();
        using (no_grad())
        using (var logits = model.Forward(new ModelInputs(ids)))
            Assert.True(logits.allclose(expected, rtol: 1e-4, atol: 1e-4));
        using var w = attention.Dequantize();
        QuantizedMerge.MergeToDense(model, ScalarType.Float32);
        var back = Assert.IsType<Conv1D>(ModuleSurgery.Find(model, "transformer.h.0.attn.c_attn"));
        using var wt = w.t();
        Assert.True(Same(back.Weight, wt));
    }

    [Fact]
    public void Quantise_save_load_is_bit_exact_with_bitsandbytes_names_dtypes_and_config()
    {
        var source = TinyCheckpoints.WriteLlama(TinyCheckpoints.NewFolder("qlora-src"));
        using var model = ModelLoader.Load(source, new ModelLoadOptions { Quantization = new QuantizationOptions() });
        var saved = Path.Combine(TinyCheckpoints.NewFolder("qlora-saved"), "nf4");
        HfCheckpointWriter.Save(model, source, saved);

        var config = JsonNode.Parse(File.ReadAllText(Path.Combine(saved, "config.json")))!["quantization_config"]!;
        Assert.Equal("bitsandbytes", (string)config["quant_method"]!);
        Assert.True((bool)config["load_in_4bit"]!);
        Assert.Equal("nf4", (string)config["bnb_4bit_quant_type"]!);
        Assert.True((bool)config["bnb_4bit_use_double_quant"]!);
        Assert.Equal("bfloat16", (string)config["bnb_4bit_compute_dtype"]!);

        var file = SafetensorsFile.Open(Path.Combine(saved, "model.safetensors"));
        var n = 32L * 32;
        var expected = new Dictionary<string, (ScalarType, long[])>
        {
            [QProj + ".weight"] = (ScalarType.Byte, [n / 2, 1]),
            [QProj + ".weight.absmax"] = (ScalarType.Byte, [n / 64]),
            [QProj + ".weight.quant_map"] = (ScalarType.Float32, [16]),
            [QProj + ".weight.nested_absmax"] = (ScalarType.Float32, [1]),
            [QProj + ".weight.nested_quant_map"] = (ScalarType.Float32, [256]),
        };
        foreach (var (name, (dtype, shape)) in expected)
        {
            Assert.Equal(dtype, file.Info(name).Dtype);
            Assert.Equal(shape, file.Info(name).Shape);
        }
        Assert.Equal(ScalarType.Byte, file.Info(QProj + ".weight.quant_state.bitsandbytes__nf4").Dtype);

        using var loaded = ModelLoader.Load(saved, new ModelLoadOptions { Quantization = new QuantizationOptions() });
        var before = model.state_dict();
        var after = loaded.state_dict();
        Assert.Equal(before.Keys.Order(), after.Keys.Order());
        foreach (var (key, tensor) in before)
            Assert.True(Same(tensor, after[key]), $"'{key}' changed in the round trip");
        var state = Encoding.UTF8.GetString(after[QProj + ".weight.quant_state.bitsandbytes__nf4"].data<byte>().ToArray());
        Assert.Contains("\"shape\": [32, 32]", state);
    }

    [Fact]
    public void A_4_bit_folder_without_a_quant_state_names_the_weight()
    {
        var folder = Edited(SavedFourBit(), t => t.Remove(QProj + ".weight.quant_state.bitsandbytes__nf4"));
        var e = Assert.Throws<CheckpointFormatException>(() => ModelLoader.Load(folder));
        Assert.Contains($"'{QProj}.weight'", e.Message);
        Assert.Contains("quant_state", e.Message);
    }

    [Fact]
    public void A_4_bit_folder_whose_blocksize_disagrees_with_absmax_names_the_absmax_tensor()
    {
        var folder = Edited(SavedFourBit(), t => ReplaceState(t, json => json.Replace("\"blocksize\": 64", "\"blocksize\": 128")));
        var e = Assert.Throws<CheckpointFormatException>(() => ModelLoader.Load(folder));
        Assert.Contains($"'{QProj}.weight.absmax'", e.Message);
    }

    [Fact]
    public void A_4_bit_folder_with_an_unknown_blocksize_or_wrong_shape_names_the_quant_state()
    {
        var name = QProj + ".weight.quant_state.bitsandbytes__nf4";
        var odd = Edited(SavedFourBit(), t => ReplaceState(t, json => json.Replace("\"blocksize\": 64", "\"blocksize\": 48")));
        var e1 = Assert.Throws<CheckpointFormatException>(() => ModelLoader.Load(odd));
        Assert.Contains($"'{name}'", e1.Message);
        Assert.Contains("blocksize 48", e1.Message);
        var wrong = Edited(SavedFourBit(), t => ReplaceState(t, json => json.Replace("\"shape\": [32, 32]", "\"shape\": [16, 64]")));
        var e2 = Assert.Throws<CheckpointFormatException>(() => ModelLoader.Load(wrong));
        Assert.Contains($"'{name}'", e2.Message);
        Assert.Contains("[16, 64]", e2.Message);
        var truncated = Edited(SavedFourBit(), t => t[QProj + ".weight"] = t[QProj + ".weight"].narrow(0, 0, 100));
        var e3 = Assert.Throws<CheckpointFormatException>(() => ModelLoader.Load(truncated));
        Assert.Contains($"'{QProj}.weight'", e3.Message);
    }

    static void ReplaceState(Dictionary<string, Tensor> tensors, Func<string, string> edit)
    {
        var name = QProj + ".weight.quant_state.bitsandbytes__nf4";
        var json = edit(Encoding.UTF8.GetString(tensors[name].data<byte>().ToArray()));
        tensors[name] = tensor(Encoding.UTF8.GetBytes(json), ScalarType.Byte);
    }

    [Fact]
    public void A_4_bit_folder_round_trips_through_both_merges()
    {
        var saved = SavedFourBit();
        var options = new LoraOptions { Rank = 4, Alpha = 8, Dropout = 0 };
        PretrainedModel Adapted()
        {
            var model = ModelLoader.Load(saved);
            var injection = LoraInjector.Inject(model, options, [new LoraTarget(QProj), new LoraTarget("model.layers.1.mlp.up_proj")]);
            foreach (var (index, adapted) in injection.Modules.Select((m, i) => (i, m)))
                LoraDsl.Tests.Lora.LoraLinearTests.Randomize(adapted.Adapter, 20 + index);
            return model;
        }
        using var ids = Ids();
        using var toDense = Adapted();
        Tensor unmerged;
        using (no_grad()) unmerged = toDense.Forward(new ModelInputs(ids));
        using var _u = unmerged;

        // Into fp32: exact up to float rounding, saved as a plain folder that loads densely.
        QuantizedMerge.MergeToDense(toDense, ScalarType.Float32);
        Assert.DoesNotContain(toDense.named_modules(), m => m.module is Linear4Bit or LoraLinear);
        var denseFolder = Path.Combine(TinyCheckpoints.NewFolder("qlora-merged"), "fp32");
        HfCheckpointWriter.Save(toDense, saved, denseFolder);
        Assert.Null(JsonNode.Parse(File.ReadAllText(Path.Combine(denseFolder, "config.json")))!["quantization_config"]);
        using var reloaded = ModelLoader.Load(denseFolder);
        using (no_grad())
        using (var merged = reloaded.Forward(new ModelInputs(ids)))
            Assert.True(merged.allclose(unmerged, rtol: 1e-4, atol: 1e-4));

        // Into 4 bits: the merged weight is requantised, within NF4's bound, and the folder stays 4-bit.
        using var toFourBit = Adapted();
        var layer = (LoraLinear)ModuleSurgery.Find(toFourBit, QProj);
        using var target = layer.Base.WeightOutIn();
        using var delta = layer.Adapters["default"].DeltaWeight();
        using var exact = target + delta;
        var report = QuantizedMerge.MergeIntoFourBit(toFourBit);
        Assert.Equal(2, report.Requantised);
        Assert.NotNull(report.Warning);
        var requantised = Assert.IsType<Linear4Bit>(ModuleSurgery.Find(toFourBit, QProj));
        using var result = requantised.Dequantize();
        using var error = (result - exact).abs();
        var bound = BitsAndBytesReference.HalfLargestGap(BitsAndBytesReference.Nf4) * exact.abs().max().ToDouble() * 1.02;
        Assert.InRange(error.max().ToDouble(), 1e-7, bound);
        Assert.True(report.MaxAbsError >= error.max().ToDouble() - 1e-7);
        var fourBitFolder = Path.Combine(TinyCheckpoints.NewFolder("qlora-merged"), "nf4");
        HfCheckpointWriter.Save(toFourBit, saved, fourBitFolder);
        using var reloadedFourBit = ModelLoader.Load(fourBitFolder);
        var again = Assert.IsType<Linear4Bit>(ModuleSurgery.Find(reloadedFourBit, QProj));
        using var againWeight = again.Dequantize();
        Assert.True(Same(againWeight, result));
    }
}
