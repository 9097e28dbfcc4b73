using System.Text;
using LLama;
using LLama.Common;
using LLama.Native;

namespace LoraDsl.Tests.Gguf;

/// <summary>
/// The real llama.cpp (LLamaSharp 0.30.0's CPU backend): loads a GGUF, runs token ids through it and returns every
/// position's logits, or tokenizes text with the GGUF's own vocabulary. One call at a time; llama.cpp's log is kept
/// and put into the error when loading fails.
/// </summary>
static class LlamaCpp
{
    static readonly Lock Gate = new();
    static readonly StringBuilder Log = new();
    static bool configured;

    static void Configure()
    {
        if (configured) return;
        NativeLibraryConfig.All.WithLogCallback((level, message) =>
        {
            lock (Log) Log.Append(message);
        });
        configured = true;
    }

    // An F32 KV cache: llama.cpp's default F16 cache alone rounds k and v to 11 bits.
    static ModelParams Parameters(string path, bool vocabOnly = false) => new(path)
    {
        TypeK = GGMLType.GGML_TYPE_F32,
        TypeV = GGMLType.GGML_TYPE_F32,
        ContextSize = 128,
        BatchSize = 128,
        UBatchSize = 128,
        GpuLayerCount = 0,
        Threads = 2,
        BatchThreads = 2,
        VocabOnly = vocabOnly,
    };

    static LLamaWeights Load(string path, bool vocabOnly = false)
    {
        Configure();
        lock (Log) Log.Clear();
        try
        {
            return LLamaWeights.LoadFromFile(Parameters(path, vocabOnly));
        }
        catch (Exception e)
        {
            string log;
            lock (Log) log = Log.ToString();
            throw new InvalidOperationException($"llama.cpp could not load '{path}': {e.Message}\n--- llama.cpp log ---\n{log}", e);
        }
    }

    /// <summary>Logits [position][vocab] of <paramref name="ids"/> (one sequence, from position 0), with an optional LoRA GGUF at <paramref name="loraScale"/>.</summary>
    public static float[][] Logits(string gguf, IReadOnlyList<int> ids, string? lora = null, float loraScale = 1f)
    {
        lock (Gate)
        {
            using var weights = Load(gguf);
            using var context = weights.CreateContext(Parameters(gguf));
            if (lora is not null)
            {
                var adapter = weights.NativeHandle.LoadLoraFromFile(lora);
                context.NativeHandle.SetLoraAdapters([(adapter, loraScale)]);
            }
            var batch = new LLamaBatch();
            for (var i = 0; i < ids.Count; i++) batch.Add(ids[i], i, LLamaSeqId.Zero, true);
            var result = context.NativeHandle.Decode(batch);
            if (result != DecodeResult.Ok) throw new InvalidOperationException($"llama.cpp decode of '{gguf}' returned {result}.");
            return [.. Enumerable.Range(0, ids.Count).Select(i => context.NativeHandle.GetLogitsIth(i).ToArray())];
        }
    }

    /// <summary>Token ids llama.cpp gives <paramref name="text"/> with the GGUF's vocabulary (special tokens parsed).</summary>
    public static int[] Tokenize(string gguf, string text, bool addBos)
    {
        lock (Gate)
        {
            using var weights = Load(gguf, vocabOnly: true);
            return [.. weights.Tokenize(text, addBos, special: true, Encoding.UTF8).Select(t => (int)t)];
        }
    }

    /// <summary>GGUF metadata as llama.cpp read it (key → value as text).</summary>
    public static IReadOnlyDictionary<string, string> Metadata(string gguf)
    {
        lock (Gate)
        {
            using var weights = Load(gguf, vocabOnly: true);
            return weights.Metadata;
        }
    }
}
