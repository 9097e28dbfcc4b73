using System.Text.Json.Nodes;
using LoraDsl.Checkpoints;

namespace LoraDsl.Models.Llama;

/// <summary>config.json's rope_scaling: "linear" (positions / factor) or "llama3" (Llama 3.1 frequency bands).</summary>
public sealed record LlamaRopeScaling(string Type, double Factor, double LowFreqFactor, double HighFreqFactor, int OriginalMaxPositions)
{
    /// <summary>Null for no or "default" scaling; unsupported kinds throw naming the file.</summary>
    public static LlamaRopeScaling? FromJson(JsonObject raw, string? sourcePath)
    {
        if (raw["rope_scaling"] is not JsonObject scaling) return null;
        var type = ConfigFields.String(scaling, scaling.ContainsKey("rope_type") ? "rope_type" : "type", sourcePath, "default");
        if (type == "default") return null;
        if (type is not ("linear" or "llama3"))
            throw new UnsupportedModelException(
                $"{ConfigFields.Where(sourcePath)}: rope_scaling type '{type}' is not supported; supported: default, linear, llama3.");
        var factor = ConfigFields.Double(scaling, "factor", sourcePath);
        if (factor <= 0) throw new CheckpointFormatException($"{ConfigFields.Where(sourcePath)}: rope_scaling.factor {factor} must be positive.");
        if (type == "linear") return new LlamaRopeScaling(type, factor, 1, 1, 0);
        var low = ConfigFields.Double(scaling, "low_freq_factor", sourcePath);
        var high = ConfigFields.Double(scaling, "high_freq_factor", sourcePath);
        if (high <= low)
            throw new CheckpointFormatException($"{ConfigFields.Where(sourcePath)}: rope_scaling.high_freq_factor {high} must exceed low_freq_factor {low}.");
        return new LlamaRopeScaling(type, factor, low, high, ConfigFields.Int(scaling, "original_max_position_embeddings", sourcePath));
    }

    /// <summary>The scaled frequency for one unscaled rotary frequency.</summary>
    public double Scale(double frequency)
    {
        if (Type == "linear") return frequency / Factor;
        var wavelength = 2 * Math.PI / frequency;
        var lowFrequencyWavelength = OriginalMaxPositions / LowFreqFactor;
        var highFrequencyWavelength = OriginalMaxPositions / HighFreqFactor;
        if (wavelength < highFrequencyWavelength) return frequency;
        if (wavelength > lowFrequencyWavelength) return frequency / Factor;
        // Between the bands: interpolate between scaled and unscaled.
        var smooth = (OriginalMaxPositions / wavelength - LowFreqFactor) / (HighFreqFactor - LowFreqFactor);
        return (1 - smooth) * frequency / Factor + smooth * frequency;
    }
}
