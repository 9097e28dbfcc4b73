using System.Diagnostics;
using System.Globalization;
using LLama;
using LLama.Common;
using LLama.Native;
using LoraDsl.Adapters;
using LoraDsl.Checkpoints;
using LoraDsl.Generation;
using LoraDsl.Gguf;
using LoraDsl.Lora;
using LoraDsl.Models;
using LoraDsl.Tokenization;
using static TorchSharp.torch;

namespace Gpt2Sotu;

/// <summary>
/// `gguf [new-tokens]`: the State of the Union adapter exported to GGUF (merged, in each type, and as a LoRA GGUF on the
/// base GGUF), run through llama.cpp inside LLamaSharp, and compared with LoraDsl: logit difference on the prompt,
/// file size, greedy tokens/s.
/// </summary>
static class GgufRoundTrip
{
    const string AdapterDirectory = "runs/sotu-gpt2/adapter";
    const string OutputDirectory = "runs/gguf";
    const string Prompt = "My fellow Americans, the state of our Union is";

    public static int Run(int newTokens)
    {
        if (!BaseModel.Exists || !File.Exists(Path.Combine(AdapterDirectory, "adapter_config.json")))
        {
            Console.Error.WriteLine($"Needs {BaseModel.Directory} and {AdapterDirectory}: run the example without arguments first (or prepare-base, then train sotu-gpt2).");
            return 1;
        }
        Directory.CreateDirectory(OutputDirectory);
        NativeLibraryConfig.All.WithLogCallback((_, _) => { });
        var tokenizer = TokenizerLoader.Load(BaseModel.Directory);
        var prompt = tokenizer.Encode(Prompt, addSpecialTokens: false).ToArray();
        Console.WriteLine($"prompt: \"{Prompt}\" ({prompt.Length} tokens), {newTokens} new tokens, greedy; {Environment.ProcessorCount} threads");

        using var model = ModelLoader.Load(BaseModel.Directory);
        ModelAdapters.Of(model).Load("sotu", AdapterDirectory);
        var reference = Logits(model, prompt);
        var loraDslAdapter = LoraDslTokensPerSecond(model, prompt, newTokens);

        var baseGguf = Path.Combine(OutputDirectory, "gpt2-moby-f32.gguf");
        using (var plain = ModelLoader.Load(BaseModel.Directory)) GgufExporter.ExportModel(plain, BaseModel.Directory, baseGguf, GgufTensorType.F32, writeModelfile: false);
        var loraGguf = Path.Combine(OutputDirectory, "lora", "sotu-lora-f32.gguf");
        Directory.CreateDirectory(Path.GetDirectoryName(loraGguf)!);
        GgufExporter.ExportLoraAdapter(model, "sotu", BaseModel.Directory, loraGguf, GgufTensorType.F32, Path.GetFullPath(baseGguf));

        LoraInjector.MergeAndUnload(model);
        var loraDslMerged = LoraDslTokensPerSecond(model, prompt, newTokens);
        Console.WriteLine();
        Console.WriteLine("| file | size | max abs logit diff / range (exact: f32 KV, no flash attn) | same, llama.cpp defaults | llama.cpp tokens/s |");
        Console.WriteLine("|---|---|---|---|---|");
        foreach (var type in new[] { GgufTensorType.F32, GgufTensorType.F16, GgufTensorType.BF16, GgufTensorType.Q8_0 })
        {
            var path = Path.Combine(OutputDirectory, $"sotu-merged-{type.ToString().ToLowerInvariant()}.gguf");
            GgufExporter.ExportModel(model, BaseModel.Directory, path, type, writeModelfile: type == GgufTensorType.Q8_0);
            Row(Path.GetFileName(path), new FileInfo(path).Length, path, null, reference, prompt, newTokens);
        }
        Row("gpt2-moby-f32.gguf + lora/sotu-lora-f32.gguf", new FileInfo(loraGguf).Length, baseGguf, loraGguf, reference, prompt, newTokens);
        Console.WriteLine();
        Console.WriteLine($"LoraDsl `generate` (TorchSharp, fp32): {loraDslAdapter:F1} tokens/s with the adapter unmerged, {loraDslMerged:F1} tokens/s merged");
        Console.WriteLine($"Ollama: cd {OutputDirectory} && ollama create sotu -f Modelfile");
        return 0;
    }

    static void Row(string label, long bytes, string gguf, string? lora, float[][] reference, int[] prompt, int newTokens)
    {
        var exact = Ratio(reference, LlamaLogits(gguf, lora, prompt, exact: true));
        var defaults = Ratio(reference, LlamaLogits(gguf, lora, prompt, exact: false));
        var speed = LlamaTokensPerSecond(gguf, lora, prompt, newTokens);
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"| {label} | {bytes / 1e6:F1} MB | {exact:E2} | {defaults:E2} | {speed:F1} |"));
    }

    static ModelParams Parameters(string path, bool exact) => new(path)
    {
        ContextSize = 256,
        BatchSize = 256,
        GpuLayerCount = 0,
        Threads = Environment.ProcessorCount,
        BatchThreads = Environment.ProcessorCount,
        TypeK = exact ? GGMLType.GGML_TYPE_F32 : GGMLType.GGML_TYPE_F16,
        TypeV = exact ? GGMLType.GGML_TYPE_F32 : GGMLType.GGML_TYPE_F16,
        FlashAttention = exact ? false : null,
    };

    static float[][] LlamaLogits(string gguf, string? lora, int[] prompt, bool exact)
    {
        using var weights = LLamaWeights.LoadFromFile(Parameters(gguf, exact));
        using var context = weights.CreateContext(Parameters(gguf, exact));
        if (lora is not null) context.NativeHandle.SetLoraAdapters([(weights.NativeHandle.LoadLoraFromFile(lora), 1f)]);
        var batch = new LLamaBatch();
        for (var i = 0; i < prompt.Length; i++) batch.Add(prompt[i], i, LLamaSeqId.Zero, true);
        if (context.NativeHandle.Decode(batch) != DecodeResult.Ok) throw new InvalidOperationException($"llama.cpp could not decode with {gguf}.");
        return [.. Enumerable.Range(0, prompt.Length).Select(i => context.NativeHandle.GetLogitsIth(i).ToArray())];
    }

    /// <summary>Greedy generation in llama.cpp with its default settings: the prompt, then one token at a time.</summary>
    static double LlamaTokensPerSecond(string gguf, string? lora, int[] prompt, int newTokens)
    {
        using var weights = LLamaWeights.LoadFromFile(Parameters(gguf, exact: false));
        using var context = weights.CreateContext(Parameters(gguf, exact: false));
        if (lora is not null) context.NativeHandle.SetLoraAdapters([(weights.NativeHandle.LoadLoraFromFile(lora), 1f)]);
        var clock = Stopwatch.StartNew();
        var batch = new LLamaBatch();
        for (var i = 0; i < prompt.Length; i++) batch.Add(prompt[i], i, LLamaSeqId.Zero, i == prompt.Length - 1);
        var position = prompt.Length;
        for (var step = 0; step < newTokens; step++)
        {
            if (context.NativeHandle.Decode(batch) != DecodeResult.Ok) throw new InvalidOperationException($"llama.cpp could not decode with {gguf}.");
            var logits = context.NativeHandle.GetLogitsIth(batch.TokenCount - 1);
            var next = 0;
            for (var v = 1; v < logits.Length; v++) if (logits[v] > logits[next]) next = v;
            batch.Clear();
            batch.Add(next, position++, LLamaSeqId.Zero, true);
        }
        return newTokens / clock.Elapsed.TotalSeconds;
    }

    static double LoraDslTokensPerSecond(PretrainedModel model, int[] prompt, int newTokens)
    {
        var generator = new TextGenerator(model);
        var ids = prompt.Select(i => (long)i).ToArray();
        generator.Generate(ids, new GenerationOptions { MaxNewTokens = 4, EosTokenIds = [] }); // warm-up
        var clock = Stopwatch.StartNew();
        var produced = generator.Generate(ids, new GenerationOptions { MaxNewTokens = newTokens, EosTokenIds = [] });
        return produced.Count / clock.Elapsed.TotalSeconds;
    }

    static float[][] Logits(PretrainedModel model, int[] prompt)
    {
        using var scope = NewDisposeScope();
        using var noGrad = no_grad();
        var logits = model.Forward(new ModelInputs(tensor(prompt.Select(i => (long)i).ToArray()).unsqueeze(0)))[0].to(ScalarType.Float32).cpu();
        return [.. Enumerable.Range(0, prompt.Length).Select(i => logits[i].data<float>().ToArray())];
    }

    /// <summary>max |a - b| over every position, divided by the range of <paramref name="reference"/>.</summary>
    static double Ratio(float[][] reference, float[][] actual)
    {
        double diff = 0, min = double.MaxValue, max = double.MinValue;
        for (var i = 0; i < reference.Length; i++)
            for (var j = 0; j < reference[i].Length; j++)
            {
                diff = Math.Max(diff, Math.Abs(reference[i][j] - actual[i][j]));
                min = Math.Min(min, reference[i][j]);
                max = Math.Max(max, reference[i][j]);
            }
        return diff / (max - min);
    }
}
