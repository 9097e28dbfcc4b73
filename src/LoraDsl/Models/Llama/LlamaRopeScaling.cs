using System.Text.Json.Nodes;
using LoraDsl.Checkpoints;

namespace LoraDsl.Models.Llama;

/// <summary>
/// config.json's rope_scaling: "linear" (positions / factor), "llama3" (Llama 3.1 frequency bands) or
/// "longrope" / "su" (Phi-3: a factor per frequency, short or long by sequence length, and cos/sin scaled).
/// </summary>
internal sealed record LlamaRopeScaling(string Type, double Factor, double LowFreqFactor, double HighFreqFactor, int OriginalMaxPositions)
{
    /// <summary>LongRoPE's divisors per rotary frequency for sequences up to <see cref="OriginalMaxPositions"/>.</summary>
    public IReadOnlyList<double> ShortFactor { get; init; } = [];

    /// <summary>LongRoPE's divisors per rotary frequency for longer sequences.</summary>
    public IReadOnlyList<double> LongFactor { get; init; } = [];

    /// <summary>The factor on cos and sin (LongRoPE: √(1 + ln s / ln original) for s = max / original positions; else 1).</summary>
    public double AttentionFactor { get; init; } = 1;

    public bool IsLongRope => Type is "longrope" or "su";

    /// <summary>Null for no or "default" scaling; unsupported kinds throw naming the file.</summary>
    public static LlamaRopeScaling? FromJson(JsonObject raw, string? sourcePath)
    {
        if (raw["rope_scaling"] is not JsonObject scaling) return null;
        var type = ConfigFields.String(scaling, scaling.ContainsKey("rope_type") ? "rope_type" : "type", sourcePath, "default");
        if (type == "default") return null;
        if (type is not ("linear" or "llama3" or "longrope" or "su"))
            throw new UnsupportedModelException(
                $"{ConfigFields.Where(sourcePath)}: rope_scaling type '{type}' is not supported; supported: default, linear, llama3, longrope (su).");
        if (type is "longrope" or "su") return LongRope(raw, scaling, type, sourcePath);
        var factor = ConfigFields.Double(scaling, "factor", sourcePath);
        if (factor <= 0) throw new CheckpointFormatException($"{ConfigFields.Where(sourcePath)}: rope_scaling.factor {factor} must be positive.");
        if (type == "linear") return new LlamaRopeScaling(type, factor, 1, 1, 0);
        var low = ConfigFields.Double(scaling, "low_freq_factor", sourcePath);
        var high = ConfigFields.Double(scaling, "high_freq_factor", sourcePath);
        if (high <= low)
            throw new CheckpointFormatException($"{ConfigFields.Where(sourcePath)}: rope_scaling.high_freq_factor {high} must exceed low_freq_factor {low}.");
        return new LlamaRopeScaling(type, factor, low, high, ConfigFields.Int(scaling, "original_max_position_embeddings", sourcePath));
    }

    // transformers' _compute_longrope_parameters: Phi-3 keeps original_max_position_embeddings at the top level and the
    // factor is max / original positions; an explicit factor or attention_factor in rope_scaling wins.
    static LlamaRopeScaling LongRope(JsonObject raw, JsonObject scaling, string type, string? sourcePath)
    {
        var where = ConfigFields.Where(sourcePath);
        IReadOnlyList<double> Factors(string field) => scaling[field] is JsonArray values && values.Count > 0
            ? [.. values.Select(v => v?.GetValue<double>() ?? throw new CheckpointFormatException($"{where}: rope_scaling.{field} holds a null."))]
            : throw new CheckpointFormatException($"{where}: rope_scaling type '{type}' needs a non-empty {field} list.");
        var shortFactor = Factors("short_factor");
        var longFactor = Factors("long_factor");
        var maxPositions = ConfigFields.Int(raw, "max_position_embeddings", sourcePath);
        int original;
        double factor;
        if (raw["original_max_position_embeddings"] is not null)
        {
            original = ConfigFields.Int(raw, "original_max_position_embeddings", sourcePath);
            factor = (double)maxPositions / original;
        }
        else
        {
            original = ConfigFields.OptionalInt(scaling, "original_max_position_embeddings", sourcePath) ?? maxPositions;
            factor = scaling["factor"] is not null ? ConfigFields.Double(scaling, "factor", sourcePath) : (double)maxPositions / original;
        }
        if (original <= 1) throw new CheckpointFormatException($"{where}: original_max_position_embeddings {original} must exceed 1.");
        var attention = scaling["attention_factor"] is not null
            ? ConfigFields.Double(scaling, "attention_factor", sourcePath)
            : factor <= 1 ? 1.0 : Math.Sqrt(1 + Math.Log(factor) / Math.Log(original));
        return new LlamaRopeScaling(type, factor, 1, 1, original) { ShortFactor = shortFactor, LongFactor = longFactor, AttentionFactor = attention };
    }

    /// <summary>The scaled frequency for one unscaled rotary frequency (linear and llama3).</summary>
    public double Scale(double frequency)
    {
        if (Type == "linear") return frequency / Factor;
        if (IsLongRope) throw new InvalidOperationException("LongRoPE scales each frequency by its own factor: use Scale(frequency, index, longSequence).");
        var wavelength = 2 * Math.PI / frequency;
        var lowFrequencyWavelength = OriginalMaxPositions / LowFreqFactor;
        var highFrequencyWavelength = OriginalMaxPositions / HighFreqFactor;
        if (wavelength < highFrequencyWavelength) return frequency;
        if (wavelength > lowFrequencyWavelength) return frequency / Factor;
        // Between the bands: interpolate between scaled and unscaled.
        var smooth = (OriginalMaxPositions / wavelength - LowFreqFactor) / (HighFreqFactor - LowFreqFactor);
        return (1 - smooth) * frequency / Factor + smooth * frequency;
    }

    /// <summary>
    /// The scaled frequency of pair <paramref name="index"/>; LongRoPE divides by the short or long factor of that pair
    /// (long once a sequence reaches past <see cref="OriginalMaxPositions"/>).
    /// </summary>
    public double Scale(double frequency, int index, bool longSequence)
    {
        if (!IsLongRope) return Scale(frequency);
        var factors = longSequence ? LongFactor : ShortFactor;
        if (index >= factors.Count)
            throw new CheckpointFormatException($"rope_scaling.{(longSequence ? "long" : "short")}_factor has {factors.Count} entries; the rotary dimension needs one per frequency pair (at least {index + 1}).");
        return frequency / factors[index];
    }
}
