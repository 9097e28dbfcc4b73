using System.Text.Json.Nodes;
using LoraDsl.Checkpoints;

namespace LoraDsl.Models.Llama;

/// <summary>
/// What config.json says where Gemma 2 ("gemma2") and Gemma 3 text ("gemma3_text", or "gemma3" with a text_config)
/// differ from LLaMA, with transformers' defaults for fields a config leaves out.
/// </summary>
internal sealed record GemmaConfigReader(
    double AttentionScale,
    double? AttentionLogitSoftcap,
    double? FinalLogitSoftcap,
    int? SlidingWindow,
    IReadOnlyList<bool> SlidingLayers,
    double? LocalRopeTheta,
    bool QkNorm)
{
    public static bool IsGemma(string modelType) => Architectures.Gemma2.Descriptor.Supports(modelType) || Architectures.Gemma3.Descriptor.Supports(modelType);

    /// <summary>
    /// The text model's fields of a multimodal "gemma3" config (its text_config, keeping the top-level model_type);
    /// any other config as it is.
    /// </summary>
    public static JsonObject TextConfig(JsonObject raw)
    {
        if (raw["model_type"]?.GetValue<string>() != "gemma3" || raw["text_config"] is not JsonObject text) return raw;
        var flat = (JsonObject)text.DeepClone();
        flat["model_type"] = "gemma3";
        foreach (var field in new[] { "tie_word_embeddings", "bos_token_id", "eos_token_id" })
            if (flat[field] is null && raw[field] is not null) flat[field] = raw[field]!.DeepClone();
        return flat;
    }

    public static GemmaConfigReader Read(JsonObject raw, string modelType, int layers, int headDim, string? sourcePath)
    {
        var where = ConfigFields.Where(sourcePath);
        var gemma2 = modelType == "gemma2";
        var scalar = ConfigFields.Double(raw, "query_pre_attn_scalar", sourcePath, headDim);
        if (scalar <= 0) throw new CheckpointFormatException($"{where}: query_pre_attn_scalar {scalar} must be positive.");
        double? Cap(string field, double? fallback)
        {
            if (!raw.ContainsKey(field)) return fallback;
            if (raw[field] is null) return null;
            var value = ConfigFields.Double(raw, field, sourcePath);
            return value > 0 ? value : throw new CheckpointFormatException($"{where}: {field} {value} must be positive or null.");
        }
        var window = raw.ContainsKey("sliding_window") ? ConfigFields.OptionalInt(raw, "sliding_window", sourcePath) : 4096;
        return new GemmaConfigReader(
            1 / Math.Sqrt(scalar),
            Cap("attn_logit_softcapping", gemma2 ? 50.0 : null),
            Cap("final_logit_softcapping", gemma2 ? 30.0 : null),
            window,
            SlidingLayersOf(raw, layers, gemma2, sourcePath),
            gemma2 ? null : ConfigFields.Double(raw, "rope_local_base_freq", sourcePath, 10000),
            QkNorm: !gemma2);
    }

    // layer_types when given; else Gemma 2 slides on even layers and Gemma 3 on all but every sliding_window_pattern-th.
    static IReadOnlyList<bool> SlidingLayersOf(JsonObject raw, int layers, bool gemma2, string? sourcePath)
    {
        var where = ConfigFields.Where(sourcePath);
        if (raw["layer_types"] is JsonArray types)
        {
            if (types.Count != layers)
                throw new CheckpointFormatException($"{where}: layer_types has {types.Count} entries for {layers} layers.");
            return [.. types.Select((t, i) => t?.GetValue<string>() switch
            {
                "sliding_attention" => true,
                "full_attention" => false,
                var other => throw new UnsupportedModelException($"{where}: layer_types[{i}] '{other}' is not supported; use sliding_attention or full_attention."),
            })];
        }
        if (gemma2) return [.. Enumerable.Range(0, layers).Select(i => i % 2 == 0)];
        var pattern = ConfigFields.Int(raw, "sliding_window_pattern", sourcePath, 6);
        if (pattern <= 0) throw new CheckpointFormatException($"{where}: sliding_window_pattern {pattern} must be positive.");
        return [.. Enumerable.Range(0, layers).Select(i => (i + 1) % pattern != 0)];
    }
}
