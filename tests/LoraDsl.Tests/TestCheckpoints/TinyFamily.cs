using System.Text.Json.Nodes;
using static TorchSharp.torch;

namespace LoraDsl.Tests.TestCheckpoints;

/// <summary>
/// A tiny checkpoint of one of the newer decoder families (Qwen3, Phi-3, Gemma 2, Gemma 3 text, tied Llama 3.2), with
/// the options that family exercises set to small values, so a few tokens already cross a window or a soft-cap.
/// </summary>
public sealed record TinyFamily
{
    public required string ModelType { get; init; }
    public int Hidden { get; init; } = 32;
    public int Layers { get; init; } = 2;
    public int Heads { get; init; } = 4;
    public int KvHeads { get; init; } = 2;
    public int HeadDim { get; init; } = 8;
    public int Intermediate { get; init; } = 48;
    public int Vocab { get; init; } = TinyCheckpoints.ByteLevelVocabSize;
    public bool Tied { get; init; }
    public double RopeTheta { get; init; } = 10000;
    public long Seed { get; init; } = 7;

    // Family options (see the presets below).
    public bool QkNorm { get; init; }
    public bool Gemma { get; init; }
    public bool Fused { get; init; }
    public double RotaryFraction { get; init; } = 1;
    public double[]? ShortFactor { get; init; }
    public int MaxPositions { get; init; } = 128;
    public int OriginalMaxPositions { get; init; } = 128;
    public double QueryPreAttnScalar { get; init; }
    public double? AttnSoftcap { get; init; }
    public double? FinalSoftcap { get; init; }
    public int? Window { get; init; }
    public bool[]? SlidingLayers { get; init; }
    public int SlidingPattern { get; init; }
    public double? LocalRopeTheta { get; init; }
    public double? LinearRopeFactor { get; init; }
    public JsonObject? Llama3Scaling { get; init; }

    /// <summary>head_dim 12 ≠ hidden / heads, q_norm / k_norm, tied head.</summary>
    public static TinyFamily Qwen3 => new() { ModelType = "qwen3", HeadDim = 12, QkNorm = true, Tied = true };

    /// <summary>Fused qkv_proj / gate_up_proj under GQA, half the head rotated, LongRoPE short factors with a 4× context.</summary>
    public static TinyFamily Phi3 => new()
    {
        ModelType = "phi3", Fused = true, RotaryFraction = 0.5, ShortFactor = [1.0, 2.5],
        MaxPositions = 256, OriginalMaxPositions = 64,
    };

    /// <summary>Soft-caps small enough to bite, a query scalar ≠ head_dim, a 3-token window on layer 0, tied head.</summary>
    public static TinyFamily Gemma2 => new()
    {
        ModelType = "gemma2", Gemma = true, HeadDim = 16, QueryPreAttnScalar = 24, AttnSoftcap = 2.0, FinalSoftcap = 1.5,
        Window = 3, SlidingLayers = [true, false], Tied = true,
    };

    /// <summary>q_norm / k_norm, pattern 3 (layers 0, 1 local, 2 global), local RoPE base, linear scaling on global layers.</summary>
    public static TinyFamily Gemma3 => new()
    {
        ModelType = "gemma3_text", Gemma = true, QkNorm = true, Layers = 3, HeadDim = 16, QueryPreAttnScalar = 16,
        Window = 3, SlidingPattern = 3, SlidingLayers = [true, true, false], LocalRopeTheta = 100, RopeTheta = 1000, LinearRopeFactor = 2, Tied = true,
    };

    /// <summary>Llama 3.2's shape: tied embeddings and llama3 rope_scaling.</summary>
    public static TinyFamily Llama32 => new()
    {
        ModelType = "llama", Tied = true, RopeTheta = 500000,
        Llama3Scaling = new JsonObject { ["rope_type"] = "llama3", ["factor"] = 32.0, ["low_freq_factor"] = 1.0, ["high_freq_factor"] = 4.0, ["original_max_position_embeddings"] = 8 },
    };

    public static TinyFamily Named(string family) => family switch
    {
        "qwen3" => Qwen3,
        "phi3" => Phi3,
        "gemma2" => Gemma2,
        "gemma3" => Gemma3,
        "llama32" => Llama32,
        _ => throw new ArgumentException(family),
    };

    public int RotaryDim => (int)(HeadDim * RotaryFraction);

    /// <summary>The weights in Hugging Face names.</summary>
    public Dictionary<string, Tensor> Tensors()
    {
        var g = new Generator((ulong)Seed);
        Tensor Random(params long[] shape) => randn(shape, generator: g) * 0.2f;
        // Gemma stores the offset from one (the norm scales by 1 + w); LLaMA-style norms store the scale.
        Tensor NormWeight(long size) => Gemma ? randn([size], generator: g) * 0.1f : randn([size], generator: g) * 0.1f + 1f;
        var t = new Dictionary<string, Tensor> { ["model.embed_tokens.weight"] = Random(Vocab, Hidden) };
        long q = Heads * HeadDim, kv = KvHeads * HeadDim;
        for (var i = 0; i < Layers; i++)
        {
            var p = $"model.layers.{i}.";
            t[p + "input_layernorm.weight"] = NormWeight(Hidden);
            t[p + "post_attention_layernorm.weight"] = NormWeight(Hidden);
            if (Gemma)
            {
                t[p + "pre_feedforward_layernorm.weight"] = NormWeight(Hidden);
                t[p + "post_feedforward_layernorm.weight"] = NormWeight(Hidden);
            }
            if (Fused)
            {
                t[p + "self_attn.qkv_proj.weight"] = Random(q + 2 * kv, Hidden);
                t[p + "mlp.gate_up_proj.weight"] = Random(2 * Intermediate, Hidden);
            }
            else
            {
                t[p + "self_attn.q_proj.weight"] = Random(q, Hidden);
                t[p + "self_attn.k_proj.weight"] = Random(kv, Hidden);
                t[p + "self_attn.v_proj.weight"] = Random(kv, Hidden);
                t[p + "mlp.gate_proj.weight"] = Random(Intermediate, Hidden);
                t[p + "mlp.up_proj.weight"] = Random(Intermediate, Hidden);
            }
            if (QkNorm)
            {
                t[p + "self_attn.q_norm.weight"] = NormWeight(HeadDim);
                t[p + "self_attn.k_norm.weight"] = NormWeight(HeadDim);
            }
            t[p + "self_attn.o_proj.weight"] = Random(Hidden, q);
            t[p + "mlp.down_proj.weight"] = Random(Hidden, Intermediate);
        }
        t["model.norm.weight"] = NormWeight(Hidden);
        if (!Tied) t["lm_head.weight"] = Random(Vocab, Hidden);
        return t;
    }

    public JsonObject Config()
    {
        var c = new JsonObject
        {
            ["model_type"] = ModelType,
            ["hidden_size"] = Hidden,
            ["intermediate_size"] = Intermediate,
            ["num_hidden_layers"] = Layers,
            ["num_attention_heads"] = Heads,
            ["num_key_value_heads"] = KvHeads,
            ["head_dim"] = HeadDim,
            ["vocab_size"] = Vocab,
            ["rms_norm_eps"] = 1e-6,
            ["rope_theta"] = RopeTheta,
            ["max_position_embeddings"] = MaxPositions,
            ["tie_word_embeddings"] = Tied,
            ["attention_bias"] = false,
            ["bos_token_id"] = Vocab - 1,
            ["eos_token_id"] = Vocab - 1,
        };
        if (Gemma) c["hidden_activation"] = "gelu_pytorch_tanh";
        else c["hidden_act"] = "silu";
        if (Llama3Scaling is not null) c["rope_scaling"] = Llama3Scaling.DeepClone();
        if (ModelType == "phi3")
        {
            c["original_max_position_embeddings"] = OriginalMaxPositions;
            c["partial_rotary_factor"] = RotaryFraction;
            c["sliding_window"] = null;
            c["rope_scaling"] = new JsonObject
            {
                ["type"] = "longrope",
                ["short_factor"] = new JsonArray([.. ShortFactor!.Select(f => (JsonNode)f)]),
                ["long_factor"] = new JsonArray([.. ShortFactor!.Select(f => (JsonNode)(f * 4))]),
            };
        }
        if (Gemma)
        {
            c["query_pre_attn_scalar"] = QueryPreAttnScalar;
            c["attn_logit_softcapping"] = AttnSoftcap;
            c["final_logit_softcapping"] = FinalSoftcap;
            c["sliding_window"] = Window;
        }
        if (ModelType == "gemma3_text")
        {
            c["sliding_window_pattern"] = SlidingPattern;
            c["rope_local_base_freq"] = LocalRopeTheta;
            c["rope_scaling"] = new JsonObject { ["rope_type"] = "linear", ["factor"] = LinearRopeFactor };
        }
        return c;
    }

    /// <summary>Writes the folder (config, weights, byte-level tokenizer); returns it.</summary>
    public string Write(string? directory = null) =>
        TinyCheckpoints.WriteFolder(directory ?? TinyCheckpoints.NewFolder(ModelType), Config(), Tensors());
}
