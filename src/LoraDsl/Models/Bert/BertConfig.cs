using System.Text.Json.Nodes;
using LoraDsl.Checkpoints;

namespace LoraDsl.Models.Bert;

/// <summary>A BERT <c>config.json</c> (Hugging Face <c>BertConfig</c> field names and defaults).</summary>
internal sealed class BertConfig : ModelConfig
{
    public required int NumAttentionHeads { get; init; }

    public required int IntermediateSize { get; init; }

    /// <summary><c>hidden_act</c>: "gelu" (exact erf), "gelu_new" / "gelu_pytorch_tanh" (tanh approximation) or "relu".</summary>
    public string HiddenAct { get; init; } = "gelu";

    public int MaxPositionEmbeddings { get; init; } = 512;

    public int TypeVocabSize { get; init; } = 2;

    public double LayerNormEps { get; init; } = 1e-12;

    public double HiddenDropoutProb { get; init; } = 0.1;

    public double AttentionProbsDropoutProb { get; init; } = 0.1;

    /// <summary><c>classifier_dropout</c>; null means <see cref="HiddenDropoutProb"/>, as in Hugging Face.</summary>
    public double? ClassifierDropout { get; init; }

    public double InitializerRange { get; init; } = 0.02;

    public int PadTokenId { get; init; }

    public int NumLabels { get; init; } = 2;

    /// <summary>Label names by class index (<c>id2label</c>); "LABEL_i" when the config has none.</summary>
    public IReadOnlyList<string> Id2Label { get; init; } = ["LABEL_0", "LABEL_1"];

    public int HeadDim => HiddenSize / NumAttentionHeads;

    static readonly string[] Activations = ["gelu", "gelu_new", "gelu_pytorch_tanh", "relu"];

    /// <summary>Reads a parsed config.json; <paramref name="sourcePath"/> names the file in errors.</summary>
    public static BertConfig FromJson(JsonObject raw, string? sourcePath)
    {
        var file = sourcePath ?? "config.json";
        var modelType = OptionalString(raw, "model_type", file) ?? "bert";
        if (!Architectures.Bert.Descriptor.Supports(modelType))
            throw new CheckpointFormatException($"'{file}': model_type '{modelType}' is not 'bert'.");
        var hidden = RequiredInt(raw, "hidden_size", file);
        var heads = RequiredInt(raw, "num_attention_heads", file);
        if (heads <= 0 || hidden % heads != 0)
            throw new CheckpointFormatException(
                $"'{file}': hidden_size {hidden} is not divisible by num_attention_heads {heads}.");
        var act = OptionalString(raw, "hidden_act", file) ?? "gelu";
        if (!Activations.Contains(act))
            throw new CheckpointFormatException(
                $"'{file}': hidden_act '{act}' is not supported (supported: {string.Join(", ", Activations)}).");
        var positions = OptionalString(raw, "position_embedding_type", file) ?? "absolute";
        if (positions != "absolute")
            throw new CheckpointFormatException(
                $"'{file}': position_embedding_type '{positions}' is not supported (only 'absolute').");

        var labels = ReadLabels(raw, file);
        return new BertConfig
        {
            ModelType = modelType,
            NumLayers = RequiredInt(raw, "num_hidden_layers", file),
            HiddenSize = hidden,
            VocabSize = RequiredInt(raw, "vocab_size", file),
            NumAttentionHeads = heads,
            IntermediateSize = RequiredInt(raw, "intermediate_size", file),
            HiddenAct = act,
            MaxPositionEmbeddings = OptionalInt(raw, "max_position_embeddings", file) ?? 512,
            TypeVocabSize = OptionalInt(raw, "type_vocab_size", file) ?? 2,
            LayerNormEps = OptionalDouble(raw, "layer_norm_eps", file) ?? 1e-12,
            HiddenDropoutProb = OptionalDouble(raw, "hidden_dropout_prob", file) ?? 0.1,
            AttentionProbsDropoutProb = OptionalDouble(raw, "attention_probs_dropout_prob", file) ?? 0.1,
            ClassifierDropout = OptionalDouble(raw, "classifier_dropout", file),
            InitializerRange = OptionalDouble(raw, "initializer_range", file) ?? 0.02,
            PadTokenId = OptionalInt(raw, "pad_token_id", file) ?? 0,
            NumLabels = labels.Count,
            Id2Label = labels,
            Raw = raw,
            SourcePath = sourcePath,
        };
    }

    /// <summary>
    /// Labels from <c>id2label</c> (keys "0".."n-1"), else <c>num_labels</c> generic names, else 2,
    /// as Hugging Face's PretrainedConfig does.
    /// </summary>
    static List<string> ReadLabels(JsonObject raw, string file)
    {
        var count = OptionalInt(raw, "num_labels", file);
        if (raw["id2label"] is JsonObject id2label && id2label.Count > 0)
        {
            if (count is { } n && n != id2label.Count)
                throw new CheckpointFormatException(
                    $"'{file}': num_labels {n} disagrees with id2label's {id2label.Count} entries.");
            var labels = new string[id2label.Count];
            foreach (var (key, value) in id2label)
            {
                if (!int.TryParse(key, out var index) || index < 0 || index >= labels.Length || labels[index] is not null)
                    throw new CheckpointFormatException(
                        $"'{file}': id2label key '{key}' is not a distinct class index in 0..{labels.Length - 1}.");
                labels[index] = value?.GetValue<string>() ?? throw new CheckpointFormatException(
                    $"'{file}': id2label['{key}'] is null.");
            }
            return [.. labels];
        }
        var total = count ?? 2;
        if (total <= 0) throw new CheckpointFormatException($"'{file}': num_labels must be positive, got {total}.");
        return [.. Enumerable.Range(0, total).Select(i => $"LABEL_{i}")];
    }

    static int RequiredInt(JsonObject raw, string field, string file) =>
        OptionalInt(raw, field, file)
        ?? throw new CheckpointFormatException($"'{file}' is missing the required field '{field}'.");

    static int? OptionalInt(JsonObject raw, string field, string file) =>
        Read(raw, field, file, node => (int?)node.GetValue<int>(), "an integer");

    static double? OptionalDouble(JsonObject raw, string field, string file) =>
        Read(raw, field, file, node => (double?)node.GetValue<double>(), "a number");

    static string? OptionalString(JsonObject raw, string field, string file) =>
        Read(raw, field, file, node => node.GetValue<string>(), "a string");

    /// <summary>T is nullable (int?, string?): absent fields read as null.</summary>
    static T? Read<T>(JsonObject raw, string field, string file, Func<JsonValue, T> get, string expected)
    {
        if (raw[field] is not { } node) return default;
        try
        {
            return node is JsonValue value ? get(value) : throw new FormatException();
        }
        catch (Exception e) when (e is FormatException or InvalidOperationException)
        {
            throw new CheckpointFormatException($"'{file}': field '{field}' should be {expected}, got {node.ToJsonString()}.", e);
        }
    }
}
