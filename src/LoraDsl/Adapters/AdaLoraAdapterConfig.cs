using System.Text.Json.Nodes;
using LoraDsl.AdaLora;
using LoraDsl.Checkpoints;

namespace LoraDsl.Adapters;

/// <summary>
/// PEFT's <c>adapter_config.json</c> for an AdaLoRA adapter: the LoRA keys (<see cref="Lora"/>) with
/// <c>peft_type</c> "ADALORA", the <c>AdaLoraConfig</c> keys, and <c>rank_pattern</c> as PEFT writes it:
/// "&lt;module path&gt;.lora_E" → one kept flag per initial triplet (null before any allocation).
/// </summary>
internal sealed record AdaLoraAdapterConfig(AdapterConfig Lora, AdaLoraOptions Options, IReadOnlyDictionary<string, bool[]>? RankPattern)
{
    public const string PeftTypeName = "ADALORA";

    /// <summary>The suffix of a rank_pattern key.</summary>
    public const string RankPatternSuffix = "." + AdaLoraVariant.SingularValuesName;

    // LoraConfig's default r: PEFT warns when an AdaLoRA config carries another (it uses init_r).
    const int UnusedLoraRank = 8;

    public JsonObject ToJson()
    {
        var json = Lora.ToJson();
        json["peft_type"] = PeftTypeName;
        json["r"] = UnusedLoraRank;
        json["use_dora"] = false;
        json["target_r"] = Options.TargetR;
        json["init_r"] = Options.InitR;
        json["tinit"] = Options.TInit;
        json["tfinal"] = Options.TFinal;
        json["deltaT"] = Options.DeltaT;
        json["beta1"] = Options.Beta1;
        json["beta2"] = Options.Beta2;
        json["orth_reg_weight"] = Options.OrthRegWeight;
        json["total_step"] = Options.TotalStep;
        json["rank_pattern"] = RankPattern is null ? null : new JsonObject(RankPattern
            .OrderBy(kv => kv.Key, StringComparer.Ordinal)
            .Select(kv => KeyValuePair.Create(kv.Key + RankPatternSuffix, (JsonNode?)new JsonArray([.. kv.Value.Select(k => (JsonNode?)k)]))));
        // PEFT writes its config with sorted keys.
        return new JsonObject(json.OrderBy(kv => kv.Key, StringComparer.Ordinal).Select(kv => KeyValuePair.Create(kv.Key, kv.Value?.DeepClone())));
    }

    public void Write(string path) => AdapterConfig.WriteJson(path, ToJson());

    /// <summary>Reads an AdaLoRA config; absent AdaLoRA keys take PEFT's defaults, total_step must be there.</summary>
    public static AdaLoraAdapterConfig Read(string path)
    {
        var lora = AdapterConfig.Read(path);
        if (lora.PeftType != PeftTypeName)
            throw new AdapterMismatchException($"Adapter config '{path}': peft_type '{lora.PeftType}' is not '{PeftTypeName}'.");
        var json = AdapterConfig.ReadJson(path);
        var defaults = new AdaLoraOptions();
        var options = new AdaLoraOptions
        {
            TargetR = AdapterConfig.Value<int>(json, "target_r", path) ?? defaults.TargetR,
            InitR = AdapterConfig.Value<int>(json, "init_r", path) ?? defaults.InitR,
            TInit = AdapterConfig.Value<int>(json, "tinit", path) ?? defaults.TInit,
            TFinal = AdapterConfig.Value<int>(json, "tfinal", path) ?? defaults.TFinal,
            DeltaT = AdapterConfig.Value<int>(json, "deltaT", path) ?? defaults.DeltaT,
            Beta1 = AdapterConfig.Value<double>(json, "beta1", path) ?? defaults.Beta1,
            Beta2 = AdapterConfig.Value<double>(json, "beta2", path) ?? defaults.Beta2,
            OrthRegWeight = AdapterConfig.Value<double>(json, "orth_reg_weight", path) ?? defaults.OrthRegWeight,
            TotalStep = AdapterConfig.Value<int>(json, "total_step", path),
        };
        try
        {
            options.Validate();
        }
        catch (ArgumentException e)
        {
            throw new CheckpointFormatException($"Adapter config '{path}': {e.Message}", e);
        }
        return new AdaLoraAdapterConfig(lora, options, ReadRankPattern(json, path, options.InitR));
    }

    static Dictionary<string, bool[]>? ReadRankPattern(JsonObject json, string path, int initR)
    {
        if (json["rank_pattern"] is null) return null;
        if (json["rank_pattern"] is not JsonObject obj)
            throw new CheckpointFormatException($"Adapter config '{path}': rank_pattern is {json["rank_pattern"]!.ToJsonString()}, not an object of kept flags.");
        var result = new Dictionary<string, bool[]>(StringComparer.Ordinal);
        foreach (var (key, node) in obj)
        {
            if (!key.EndsWith(RankPatternSuffix, StringComparison.Ordinal))
                throw new CheckpointFormatException($"Adapter config '{path}': rank_pattern key '{key}' does not end with '{RankPatternSuffix}', as PEFT's keys do.");
            bool[] kept;
            try
            {
                kept = node is JsonArray flags ? [.. flags.Select(f => f!.GetValue<bool>())] : throw new FormatException();
            }
            catch (Exception e) when (e is InvalidOperationException or FormatException or NullReferenceException)
            {
                throw new CheckpointFormatException($"Adapter config '{path}': rank_pattern['{key}'] is not a list of true/false.", e);
            }
            if (kept.Length != initR)
                throw new CheckpointFormatException($"Adapter config '{path}': rank_pattern['{key}'] has {kept.Length} flags, init_r is {initR}.");
            result[key[..^RankPatternSuffix.Length]] = kept;
        }
        return result;
    }
}
