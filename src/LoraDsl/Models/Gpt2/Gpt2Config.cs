using System.Text.Json.Nodes;
using LoraDsl.Checkpoints;

namespace LoraDsl.Models.Gpt2;

/// <summary>config.json of GPT-2 (n_embd, n_layer, n_head, n_positions, gelu_new).</summary>
internal sealed class Gpt2Config : ModelConfig
{
    public required int NumHeads { get; init; }

    public required int MaxPositions { get; init; }

    /// <summary>Feed-forward width: n_inner, or 4 · n_embd when null.</summary>
    public required int InnerSize { get; init; }

    public double LayerNormEpsilon { get; init; } = 1e-5;

    public bool TieWordEmbeddings { get; init; } = true;

    public IReadOnlyList<long> BosTokenIds { get; init; } = [];

    public IReadOnlyList<long> EosTokenIds { get; init; } = [];

    public static Gpt2Config FromJson(JsonObject raw, string? sourcePath)
    {
        var hidden = ConfigFields.Positive(ConfigFields.Int(raw, "n_embd", sourcePath), "n_embd", sourcePath);
        var heads = ConfigFields.Positive(ConfigFields.Int(raw, "n_head", sourcePath), "n_head", sourcePath);
        if (hidden % heads != 0)
            throw new CheckpointFormatException($"{ConfigFields.Where(sourcePath)}: n_embd {hidden} is not a multiple of n_head {heads}.");
        var act = ConfigFields.String(raw, "activation_function", sourcePath, "gelu_new");
        if (act != "gelu_new")
            throw new UnsupportedModelException($"{ConfigFields.Where(sourcePath)}: activation_function '{act}' is not supported for gpt2; only 'gelu_new' is.");
        return new Gpt2Config
        {
            ModelType = ConfigFields.String(raw, "model_type", sourcePath),
            NumLayers = ConfigFields.Positive(ConfigFields.Int(raw, "n_layer", sourcePath), "n_layer", sourcePath),
            HiddenSize = hidden,
            VocabSize = ConfigFields.Positive(ConfigFields.Int(raw, "vocab_size", sourcePath), "vocab_size", sourcePath),
            Raw = raw,
            SourcePath = sourcePath,
            NumHeads = heads,
            MaxPositions = ConfigFields.Positive(ConfigFields.Int(raw, "n_positions", sourcePath, 1024), "n_positions", sourcePath),
            InnerSize = ConfigFields.Positive(ConfigFields.OptionalInt(raw, "n_inner", sourcePath) ?? 4 * hidden, "n_inner", sourcePath),
            LayerNormEpsilon = ConfigFields.Double(raw, "layer_norm_epsilon", sourcePath, 1e-5),
            TieWordEmbeddings = ConfigFields.Bool(raw, "tie_word_embeddings", sourcePath, true),
            BosTokenIds = ConfigFields.TokenIds(raw, "bos_token_id", sourcePath),
            EosTokenIds = ConfigFields.TokenIds(raw, "eos_token_id", sourcePath),
        };
    }
}
