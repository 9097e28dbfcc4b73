using System.Text.Json.Nodes;
using LoraDsl.Checkpoints;

namespace LoraDsl.Models.Llama;

/// <summary>
/// config.json of the LLaMA-like decoders: "llama", "mistral" (sliding window), "qwen2" (q/k/v biases),
/// "qwen3" (per-head q/k norms), "phi3" (fused projections, LongRoPE) and, through <see cref="GemmaConfigReader"/>,
/// "gemma2" / "gemma3_text". One decoder serves them all; the options below say where a family differs.
/// </summary>
internal sealed class LlamaConfig : ModelConfig
{
    public required int IntermediateSize { get; init; }

    public required int NumAttentionHeads { get; init; }

    /// <summary>Fewer than <see cref="NumAttentionHeads"/> means grouped-query attention.</summary>
    public required int NumKeyValueHeads { get; init; }

    public required int HeadDim { get; init; }

    public double RmsNormEps { get; init; } = 1e-6;

    public double RopeTheta { get; init; } = 10000;

    /// <summary>rope_scaling, or null for plain RoPE.</summary>
    public LlamaRopeScaling? RopeScaling { get; init; }

    /// <summary>Biases on q/k/v projections (Qwen2: true; LLaMA: attention_bias).</summary>
    public bool QkvBias { get; init; }

    /// <summary>Bias on o_proj (LLaMA attention_bias; Qwen2 never).</summary>
    public bool OutputBias { get; init; }

    public bool MlpBias { get; init; }

    public bool TieWordEmbeddings { get; init; }

    /// <summary>Mistral's attention window; null attends to all earlier tokens.</summary>
    public int? SlidingWindow { get; init; }

    /// <summary>Which layers use <see cref="SlidingWindow"/> (Gemma: alternating or 5 of 6); null = every layer.</summary>
    public IReadOnlyList<bool>? SlidingLayers { get; init; }

    /// <summary>RMSNorm over head_dim on each query and key head before RoPE (Qwen3, Gemma 3: q_norm / k_norm).</summary>
    public bool QkNorm { get; init; }

    /// <summary>
    /// Gemma's conventions: RMSNorm scaled by (1 + w) in float32, embeddings × √hidden in their dtype, and norms
    /// after attention and the MLP as well as before (pre_/post_feedforward_layernorm).
    /// </summary>
    public bool GemmaStyle { get; init; }

    /// <summary>The MLP activation: "silu" (SwiGLU) or "gelu_pytorch_tanh" (Gemma's GeGLU).</summary>
    public string HiddenActivation { get; init; } = "silu";

    /// <summary>The factor on q·kᵀ; null is 1/√head_dim (Gemma: query_pre_attn_scalar^-0.5).</summary>
    public double? AttentionScale { get; init; }

    /// <summary>Gemma 2's attn_logit_softcapping c: scores become c·tanh(scores / c) before the mask.</summary>
    public double? AttentionLogitSoftcap { get; init; }

    /// <summary>Gemma 2's final_logit_softcapping c: logits become c·tanh(logits / c), in the loss too.</summary>
    public double? FinalLogitSoftcap { get; init; }

    /// <summary>Gemma 3's rope_local_base_freq: the RoPE base of sliding layers (no rope_scaling there); null = rope_theta.</summary>
    public double? LocalRopeTheta { get; init; }

    /// <summary>Phi-3's fused qkv_proj (Q | K | V rows) and gate_up_proj (gate | up rows).</summary>
    public bool FusedProjections { get; init; }

    /// <summary>Leading dimensions of each head that RoPE turns (partial_rotary_factor × head_dim); the rest pass through.</summary>
    public int RotaryDim { get; init; }

    /// <summary>The rotary dimension in use: <see cref="RotaryDim"/>, or the whole head.</summary>
    public int RotaryDimension => RotaryDim > 0 ? RotaryDim : HeadDim;

    /// <summary>The attention window of layer <paramref name="layer"/>, or null when it attends to every earlier token.</summary>
    public int? WindowOf(int layer) => SlidingLayers is null || SlidingLayers[layer] ? SlidingWindow : null;

    /// <summary>Whether layer <paramref name="layer"/> takes the local RoPE base (Gemma 3's sliding layers).</summary>
    public bool UsesLocalRope(int layer) => LocalRopeTheta is not null && SlidingLayers is not null && SlidingLayers[layer];

    public IReadOnlyList<long> BosTokenIds { get; init; } = [];

    public IReadOnlyList<long> EosTokenIds { get; init; } = [];

    public static LlamaConfig FromJson(JsonObject raw, string? sourcePath)
    {
        raw = GemmaConfigReader.TextConfig(raw);
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
        var isGemma = GemmaConfigReader.IsGemma(modelType);
        // Gemma names it hidden_activation (hidden_act is an older spelling it ignores).
        var act = isGemma
            ? ConfigFields.String(raw, "hidden_activation", sourcePath, "gelu_pytorch_tanh")
            : ConfigFields.String(raw, "hidden_act", sourcePath, "silu");
        var supportedAct = isGemma ? "gelu_pytorch_tanh" : "silu";
        if (act != supportedAct)
            throw new UnsupportedModelException($"{ConfigFields.Where(sourcePath)}: hidden activation '{act}' is not supported for {modelType}; only '{supportedAct}' is.");

        var isQwen2 = modelType == "qwen2";
        var isQwen3 = Architectures.Qwen3.Descriptor.Supports(modelType);
        var isPhi3 = Architectures.Phi3.Descriptor.Supports(modelType);
        var rotaryDim = headDim;
        if (raw["partial_rotary_factor"] is not null)
        {
            var factor = ConfigFields.Double(raw, "partial_rotary_factor", sourcePath);
            rotaryDim = (int)(headDim * factor);
            if (factor <= 0 || factor > 1 || rotaryDim % 2 != 0)
                throw new CheckpointFormatException($"{ConfigFields.Where(sourcePath)}: partial_rotary_factor {factor} gives {rotaryDim} rotary dimensions of head_dim {headDim}; it must be in (0, 1] and give an even count.");
        }
        var attentionBias = ConfigFields.Bool(raw, "attention_bias", sourcePath, false);
        int? window = null;
        IReadOnlyList<bool>? slidingLayers = null;
        var layerCount = ConfigFields.Positive(ConfigFields.Int(raw, "num_hidden_layers", sourcePath), "num_hidden_layers", sourcePath);
        if (modelType == "mistral" || isPhi3 || ((isQwen2 || isQwen3) && ConfigFields.Bool(raw, "use_sliding_window", sourcePath, false)))
            window = ConfigFields.OptionalInt(raw, "sliding_window", sourcePath);
        // Qwen2/3 slide only from max_window_layers on (transformers' layer_types default).
        if (window is not null && (isQwen2 || isQwen3) && ConfigFields.OptionalInt(raw, "max_window_layers", sourcePath) is { } first)
            slidingLayers = [.. Enumerable.Range(0, layerCount).Select(i => i >= first)];
        var gemma = isGemma ? GemmaConfigReader.Read(raw, modelType, layerCount, headDim, sourcePath) : null;
        if (gemma is not null) window = gemma.SlidingWindow;
        return new LlamaConfig
        {
            ModelType = modelType,
            NumLayers = layerCount,
            HiddenSize = hidden,
            VocabSize = ConfigFields.Positive(ConfigFields.Int(raw, "vocab_size", sourcePath), "vocab_size", sourcePath),
            Raw = raw,
            SourcePath = sourcePath,
            IntermediateSize = ConfigFields.Positive(ConfigFields.Int(raw, "intermediate_size", sourcePath), "intermediate_size", sourcePath),
            NumAttentionHeads = heads,
            NumKeyValueHeads = kvHeads,
            HeadDim = headDim,
            RmsNormEps = ConfigFields.Double(raw, "rms_norm_eps", sourcePath, 1e-6),
            RopeTheta = ConfigFields.Double(raw, "rope_theta", sourcePath, modelType is "gemma3_text" or "gemma3" ? 1e6 : 10000),
            RopeScaling = LlamaRopeScaling.FromJson(raw, sourcePath),
            RotaryDim = rotaryDim,
            QkNorm = isQwen3 || gemma is { QkNorm: true },
            GemmaStyle = isGemma,
            HiddenActivation = act,
            AttentionScale = gemma?.AttentionScale,
            AttentionLogitSoftcap = gemma?.AttentionLogitSoftcap,
            FinalLogitSoftcap = gemma?.FinalLogitSoftcap,
            LocalRopeTheta = gemma?.LocalRopeTheta,
            FusedProjections = isPhi3,
            QkvBias = isQwen2 || attentionBias,
            OutputBias = !isQwen2 && attentionBias,
            MlpBias = ConfigFields.Bool(raw, "mlp_bias", sourcePath, false),
            TieWordEmbeddings = ConfigFields.Bool(raw, "tie_word_embeddings", sourcePath, isGemma),
            SlidingWindow = window,
            SlidingLayers = gemma?.SlidingLayers ?? slidingLayers,
            BosTokenIds = ConfigFields.TokenIds(raw, "bos_token_id", sourcePath),
            EosTokenIds = ConfigFields.TokenIds(raw, "eos_token_id", sourcePath),
        };
    }
}
