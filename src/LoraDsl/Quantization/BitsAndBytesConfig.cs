using System.Text.Json.Nodes;
using LoraDsl.Checkpoints;
using static TorchSharp.torch;

namespace LoraDsl.Quantization;

/// <summary>
/// The <c>quantization_config</c> object transformers writes into config.json for a bitsandbytes 4-bit model
/// (BitsAndBytesConfig.to_dict). Block size and double quantisation live per tensor in quant_state, not here.
/// </summary>
static class BitsAndBytesConfig
{
    public const string Field = "quantization_config";

    /// <summary>The object for <paramref name="options"/>, keys in transformers' (sorted) order.</summary>
    public static JsonObject ToJson(QuantizationOptions options, IReadOnlyList<string> skipModules) => new()
    {
        ["_load_in_4bit"] = true,
        ["_load_in_8bit"] = false,
        ["bnb_4bit_compute_dtype"] = FourBitWeight.DtypeName(options.ComputeDtype),
        ["bnb_4bit_quant_storage"] = "uint8",
        ["bnb_4bit_quant_type"] = FourBitCodeBook.Name(options.DataType),
        ["bnb_4bit_use_double_quant"] = options.DoubleQuant,
        ["llm_int8_enable_fp32_cpu_offload"] = false,
        ["llm_int8_has_fp16_weight"] = false,
        ["llm_int8_skip_modules"] = new JsonArray([.. skipModules.Select(s => (JsonNode)JsonValue.Create(s))]),
        ["llm_int8_threshold"] = 6.0,
        ["load_in_4bit"] = true,
        ["load_in_8bit"] = false,
        ["quant_method"] = "bitsandbytes",
    };

    /// <summary>
    /// True when config.json declares a bitsandbytes 4-bit model; <paramref name="computeDtype"/> is its
    /// bnb_4bit_compute_dtype when that is one LoraDsl computes in. Other quantisation methods throw.
    /// </summary>
    public static bool IsFourBit(JsonObject config, string configPath, out ScalarType? computeDtype)
    {
        computeDtype = null;
        if (config[Field] is not JsonObject q) return false;
        var method = q["quant_method"] is JsonValue m && m.TryGetValue<string>(out var s) ? s : null;
        var fourBit = q["load_in_4bit"] is JsonValue f && f.TryGetValue<bool>(out var b) && b;
        if (method != "bitsandbytes" || !fourBit)
            throw new UnsupportedModelException(
                $"'{configPath}' declares quantization_config with quant_method '{method}' and load_in_4bit {fourBit.ToString().ToLowerInvariant()}; " +
                "LoraDsl reads bitsandbytes 4-bit (nf4/fp4) folders only.");
        computeDtype = q["bnb_4bit_compute_dtype"] is JsonValue c && c.TryGetValue<string>(out var name) ? name switch
        {
            "bfloat16" => ScalarType.BFloat16,
            "float32" => ScalarType.Float32,
            _ => null,
        } : null;
        return true;
    }
}
