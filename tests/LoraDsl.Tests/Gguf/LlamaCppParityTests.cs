using LoraDsl.Adapters;
using LoraDsl.Checkpoints;
using LoraDsl.Gguf;
using LoraDsl.Lora;
using LoraDsl.Models;
using LoraDsl.Native;
using LoraDsl.Tests.TestCheckpoints;
using Xunit;
using Xunit.Abstractions;
using static TorchSharp.torch;

namespace LoraDsl.Tests.Gguf;

/// <summary>
/// Exported GGUFs run through the real llama.cpp (LLamaSharp) give LoraDsl's logits: merged models of LLaMA, Qwen2 and
/// GPT-2, and base + LoRA GGUF through llama.cpp's adapter API.
/// </summary>
public sealed class LlamaCppParityTests(ITestOutputHelper output)
{
    static readonly int[] Ids = [266, 72, 101, 108, 256, 32, 119, 111, 114, 260, 33, 10];

    // f32 weights: llama.cpp and libtorch differ only in summation order (and GELU's tanh), ~1e-6 of the range.
    const double F32Tolerance = 1e-3;

    [Theory]
    [InlineData("llama")]
    [InlineData("mistral")]
    [InlineData("qwen2")]
    [InlineData("gpt2")]
    public void F32_export_matches_loradsl_logits(string family)
    {
        var folder = Write(family);
        using var model = ModelLoader.Load(folder);
        var expected = Logits(model);
        var gguf = Path.Combine(folder, "model-f32.gguf");
        GgufExporter.ExportModel(model, folder, gguf, GgufTensorType.F32);
        var actual = LlamaCpp.Logits(gguf, Ids);
        var (diff, range) = Compare(expected, actual);
        output.WriteLine($"{family} f32: max|diff| {diff:E3}, logit range {range:F3}, ratio {diff / range:E3}");
        Assert.True(diff <= F32Tolerance * range, $"{family}: max |diff| {diff} exceeds {F32Tolerance} x range {range}");
    }

    [Theory]
    [InlineData("llama", GgufTensorType.F16, 2e-2)]
    [InlineData("llama", GgufTensorType.BF16, 5e-2)]
    [InlineData("llama", GgufTensorType.Q8_0, 5e-2)]
    [InlineData("gpt2", GgufTensorType.Q8_0, 5e-2)]
    public void Smaller_types_stay_within_their_measured_bound(string family, GgufTensorType type, double bound)
    {
        var folder = Write(family);
        using var model = ModelLoader.Load(folder);
        var expected = Logits(model);
        var gguf = Path.Combine(folder, $"model-{type}.gguf");
        GgufExporter.ExportModel(model, folder, gguf, type);
        var (diff, range) = Compare(expected, LlamaCpp.Logits(gguf, Ids));
        output.WriteLine($"{family} {type}: max|diff| {diff:E3}, logit range {range:F3}, ratio {diff / range:E3}, file {new FileInfo(gguf).Length} bytes");
        Assert.True(diff <= bound * range, $"{family} {type}: max |diff| {diff} exceeds {bound} x range {range}");
        // Rounding is visible: an export that silently wrote F32 would be exact.
        Assert.True(diff > 1e-5 * range, $"{family} {type}: logits equal F32's; the weights were not rounded to {type}");
    }

    [Theory]
    [InlineData("llama", false)]
    [InlineData("llama", true)]
    [InlineData("qwen2", false)]
    [InlineData("gpt2", false)]
    public void Lora_gguf_on_the_base_gguf_and_the_merged_gguf_match_the_adapted_model(string family, bool rsLora)
    {
        var folder = Write(family);
        var baseGguf = Path.Combine(folder, "base.gguf");
        using (var plain = ModelLoader.Load(folder)) GgufExporter.ExportModel(plain, folder, baseGguf, GgufTensorType.F32);

        using var model = ModelLoader.Load(folder);
        var adapters = ModelAdapters.Of(model);
        adapters.Add("a", Modules(model, family, rsLora));
        adapters.SetActive("a");
        var expected = Logits(model);
        var loraGguf = Path.Combine(folder, "adapter.gguf");
        GgufExporter.ExportLoraAdapter(model, "a", folder, loraGguf, GgufTensorType.F32, baseGguf);

        var viaAdapter = LlamaCpp.Logits(baseGguf, Ids, loraGguf);
        var (diff, range) = Compare(expected, viaAdapter);
        var (baseDiff, _) = Compare(expected, LlamaCpp.Logits(baseGguf, Ids));
        output.WriteLine($"{family} rsLoRA={rsLora} base+LoRA GGUF: max|diff| {diff:E3} (base alone {baseDiff:E3}), range {range:F3}");
        Assert.True(diff <= F32Tolerance * range, $"base + LoRA GGUF: max |diff| {diff} exceeds {F32Tolerance} x range {range}");
        Assert.True(baseDiff > 20 * diff, $"the adapter changes too little to test: base alone differs by {baseDiff}, with it by {diff}");

        LoraInjector.MergeAndUnload(model);
        var mergedGguf = Path.Combine(folder, "merged.gguf");
        GgufExporter.ExportModel(model, folder, mergedGguf, GgufTensorType.F32);
        var (mergedDiff, _) = Compare(expected, LlamaCpp.Logits(mergedGguf, Ids));
        output.WriteLine($"{family} merged GGUF: max|diff| {mergedDiff:E3}");
        Assert.True(mergedDiff <= F32Tolerance * range, $"merged GGUF: max |diff| {mergedDiff} exceeds {F32Tolerance} x range {range}");
        Assert.True(File.Exists(Path.Combine(folder, "Modelfile")));
    }

    /// <summary>Random A and B on q, k, v, o and an MLP layer (GPT-2: the fused c_attn and c_fc); with rsLoRA two ranks, so llama.cpp's one alpha needs B rescaled.</summary>
    static List<AdapterModuleWeights> Modules(PretrainedModel model, string family, bool rsLora)
    {
        var g = new Generator(7);
        string[] paths = family == "gpt2"
            ? ["transformer.h.0.attn.c_attn", "transformer.h.1.attn.c_proj", "transformer.h.1.mlp.c_fc"]
            : ["model.layers.0.self_attn.q_proj", "model.layers.1.self_attn.k_proj", "model.layers.0.self_attn.v_proj", "model.layers.1.self_attn.o_proj", "model.layers.0.mlp.down_proj"];
        var shapes = model.named_modules().ToDictionary(m => m.name, m => m.module);
        return [.. paths.Select((path, i) =>
        {
            var rank = rsLora && i % 2 == 1 ? 8 : 4;
            var (input, outputs) = shapes[path] switch
            {
                TorchSharp.Modules.Linear l => (l.in_features, l.out_features),
                LoraDsl.Modules.Conv1D c => (c.InFeatures, c.OutFeatures),
                var other => throw new InvalidOperationException($"{path} is {other.GetType().Name}"),
            };
            var options = new LoraOptions { Rank = rank, Alpha = 8, Dropout = 0, UseRsLora = rsLora };
            return new AdapterModuleWeights(path, options, randn([rank, input], generator: g) * 0.3f, randn([outputs, rank], generator: g) * 0.3f);
        })];
    }

    internal static string Write(string family) => family == "gpt2"
        ? TinyCheckpoints.WriteGpt2(TinyCheckpoints.NewFolder("gguf-gpt2"))
        : TinyCheckpoints.WriteLlama(TinyCheckpoints.NewFolder($"gguf-{family}"), new TinyLlamaSpec { ModelType = family });

    internal static float[][] Logits(PretrainedModel model)
    {
        using var scope = NewDisposeScope();
        using var noGrad = no_grad();
        using var logits = model.Forward(new ModelInputs(tensor(Ids.Select(i => (long)i).ToArray()).unsqueeze(0)))[0].to(ScalarType.Float32).cpu();
        return [.. Enumerable.Range(0, Ids.Length).Select(i => HostMemory.ToArray<float>(logits[i]))];
    }

    /// <summary>max |expected - actual| over all positions and the range (max - min) of the expected logits.</summary>
    internal static (double Diff, double Range) Compare(float[][] expected, float[][] actual)
    {
        Assert.Equal(expected.Length, actual.Length);
        double diff = 0, min = double.MaxValue, max = double.MinValue;
        for (var i = 0; i < expected.Length; i++)
        {
            Assert.Equal(expected[i].Length, actual[i].Length);
            for (var j = 0; j < expected[i].Length; j++)
            {
                diff = Math.Max(diff, Math.Abs(expected[i][j] - actual[i][j]));
                min = Math.Min(min, expected[i][j]);
                max = Math.Max(max, expected[i][j]);
            }
        }
        return (diff, max - min);
    }
}
