using System.Text.Json.Nodes;
using LoraDsl.Checkpoints;

namespace LoraDsl.Models.Llama;

/// <summary>config.json of the LLaMA family: "llama", "mistral" (sliding window) and "qwen2" (q/k/v biases).</summary>
public sealed class LlamaConfig : ModelConfig
{
    public required int IntermediateSize { get; init; }

    public required int NumAttentionHeads { get; init; }

    /// <summary>Fewer than <see cref="NumAttentionHeads"/> means grouped-query attention.</summary>
    public required int NumKeyValueHeads { get; init; }

    public required int HeadDim { get; init; }

    public double RmsNormEps { get; init; } = 1e-6;

    public double RopeTheta { get; init; } = 10000;

    /// <summary>Biases on q/k/v projections (Qwen2: true; LLaMA: attention_bias).</summary>
    /// <summary>rope_scaling, or null for plain RoPE.</summary>
    public LlamaRopeScaling? RopeScaling { get; init; }

    public bool QkvBias { get; init; }

    /// <summary>Bias on o_proj (LLaMA attention_bias; Qwen2 never).</summary>
    public bool OutputBias { get; init; }

    public bool MlpBias { get; init; }

    public bool TieWordEmbeddings { get; init; }

    /// <summary>Mistral's attention window; null attends to all earlier tokens.</summary>
    public int? SlidingWindow { get; init; }

    public IReadOnlyList<long> BosTokenIds { get; init; } = [];

    public IReadOnlyList<long> EosTokenIds { get; init; } = [];

    public static LlamaConfig FromJson(JsonObject raw, string? sourcePath)
    {
        var modelType = ConfigFields.String(raw, "model_type", sourcePath);
        var hidden = ConfigFields.Positive(ConfigFields.Int(raw, "hidden_size", sourcePath), "hidden_size", sourcePath);
        var heads = ConfigFields.Positive(ConfigFields.Int(raw, "num_attention_heads", sourcePath), "num_attention_heads", sourcePath);
        var kvHeads = ConfigFields.Positive(ConfigFields.Int(raw, "num_key_value_heads", sourcePath, heads), "num_key_value_heads", sourcePath);
        if (heads % kvHeads != 0)
            throw new CheckpointFormatException(
                $"{ConfigFields.Where(sourcePath)}: num_attention_heads {heads} is not a multiple of num_key_value_heads {kvHeads}.");
        var headDim = ConfigFields.OptionalInt(raw, "head_dim", sourcePath) ?? 0;
        if (headDim == 0)
        {
            if (hidden % heads != 0)
                throw new CheckpointFormatException($"{ConfigFields.Where(sourcePath)}: hidden_size {hidden} is not a multiple of num_attention_heads {heads}.");
            headDim = hidden / heads;
        }
        if (headDim % 2 != 0)
            throw new CheckpointFormatException($"{ConfigFields.Where(sourcePath)}: head_dim {headDim} must be even for rotary embeddings.");
        var act = ConfigFields.String(raw, "hidden_act", sourcePath, "silu");
        if (act != "silu")
            throw new UnsupportedModelException($"{ConfigFields.Where(sourcePath)}: hidden_act '{act}' is not supported for {modelType}; only 'silu' is.");

        var isQwen2 = modelType == "qwen2";
        var attentionBias = ConfigFields.Bool(raw, "attention_bias", sourcePath, false);
        int? window = null;
        if (modelType == "mistral" || (isQwen2 && ConfigFields.Bool(raw, "use_sliding_window", sourcePath, false)))
            window = ConfigFields.OptionalInt(raw, "sliding_window", sourcePath);
        return new LlamaConfig
        {
            ModelType = modelType,
            NumLayers = ConfigFields.Positive(ConfigFields.Int(raw, "num_hidden_layers", sourcePath), "num_hidden_layers", sourcePath),
            HiddenSize = hidden,
            VocabSize = ConfigFields.Positive(ConfigFields.Int(raw, "vocab_size", sourcePath), "vocab_size", sourcePath),
            Raw = raw,
            SourcePath = sourcePath,
            IntermediateSize = ConfigFields.Positive(ConfigFields.Int(raw, "intermediate_size", sourcePath), "intermediate_size", sourcePath),
            NumAttentionHeads = heads,
            NumKeyValueHeads = kvHeads,
            HeadDim = headDim,
            RmsNormEps = ConfigFields.Double(raw, "rms_norm_eps", sourcePath, 1e-6),
            RopeTheta = ConfigFields.Double(raw, "rope_theta", sourcePath, 10000),
            RopeScaling = LlamaRopeScaling.FromJson(raw, sourcePath),
            QkvBias = isQwen2 || attentionBias,
            OutputBias = !isQwen2 && attentionBias,
            MlpBias = ConfigFields.Bool(raw, "mlp_bias", sourcePath, false),
            TieWordEmbeddings = ConfigFields.Bool(raw, "tie_word_embeddings", sourcePath, false),
            SlidingWindow = window,
            BosTokenIds = ConfigFields.TokenIds(raw, "bos_token_id", sourcePath),
            EosTokenIds = ConfigFields.TokenIds(raw, "eos_token_id", sourcePath),
        };
    }
}
