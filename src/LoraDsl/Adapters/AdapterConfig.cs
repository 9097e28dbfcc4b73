using System.Text.Json;
using System.Text.Json.Nodes;
using LoraDsl.Checkpoints;
using LoraDsl.Lora;
using LoraDsl.Models;

namespace LoraDsl.Adapters;

/// <summary>
/// PEFT's <c>adapter_config.json</c> for a LoRA adapter: the fields this runtime uses, read
/// tolerantly (unknown keys are ignored) and written with the keys PEFT writes.
/// </summary>
internal sealed record AdapterConfig
{
    public string PeftType { get; init; } = "LORA";

    public int R { get; init; } = 8;

    public double LoraAlpha { get; init; } = 8;

    public double LoraDropout { get; init; }

    /// <summary>Module names (suffixes or full paths), as PEFT lists them.</summary>
    public IReadOnlyList<string> TargetModules { get; init; } = [];

    /// <summary>False when adapter_config.json has no target_modules (or null): then nothing narrows what the file holds.</summary>
    public bool HasTargetModules { get; init; } = true;

    /// <summary>Set instead of <see cref="TargetModules"/> when the file holds a regular expression.</summary>
    public string? TargetModulesPattern { get; init; }

    /// <summary>PEFT's <c>exclude_modules</c>: names (suffix or full path) never adapted even when <see cref="TargetModules"/> match.</summary>
    public IReadOnlyList<string>? ExcludeModules { get; init; }

    /// <summary>PEFT's <c>layers_to_transform</c>: only modules in these layer indices are adapted.</summary>
    public IReadOnlyList<int>? LayersToTransform { get; init; }

    /// <summary>PEFT's <c>layers_pattern</c>: the module-list name in front of the layer index ("layers", "h", "layer").</summary>
    public string? LayersPattern { get; init; }

    public LoraBias Bias { get; init; } = LoraBias.None;

    public bool FanInFanOut { get; init; }

    public IReadOnlyList<string>? ModulesToSave { get; init; }

    public string? TaskType { get; init; }

    public string? BaseModelNameOrPath { get; init; }

    public bool UseRsLora { get; init; }

    public bool UseDora { get; init; }

    public LoraInit InitLoraWeights { get; init; } = LoraInit.Default;

    /// <summary>Per-module ranks: key is a module-name pattern (PEFT matches "(.*\.)?key$").</summary>
    public IReadOnlyDictionary<string, int> RankPattern { get; init; } = new Dictionary<string, int>();

    public IReadOnlyDictionary<string, double> AlphaPattern { get; init; } = new Dictionary<string, double>();

    /// <summary>PEFT's <c>trainable_token_indices</c> (list or module → ids), or null.</summary>
    public TrainableTokens.TrainableTokenIndices? TrainableTokenIndices { get; init; }

    /// <summary>PEFT's <c>ensure_weight_tying</c>.</summary>
    public bool EnsureWeightTying { get; init; }

    /// <summary>The options for the module at <paramref name="modulePath"/>, applying rank/alpha patterns.</summary>
    public LoraOptions OptionsFor(string modulePath, string adapterName)
    {
        var rank = Lookup(RankPattern, modulePath) ?? R;
        var alpha = Lookup(AlphaPattern, modulePath) ?? LoraAlpha;
        return new LoraOptions
        {
            Rank = rank,
            Alpha = alpha,
            Dropout = LoraDropout,
            Bias = Bias,
            UseRsLora = UseRsLora,
            UseDora = UseDora,
            Init = InitLoraWeights,
            ModulesToSave = ModulesToSave ?? [],
            EnsureWeightTying = EnsureWeightTying,
            AdapterName = adapterName,
        };
    }

    // PEFT's get_pattern_key: the first key in the file's order whose "(.*\.)?(key)$" matches the module name.
    static T? Lookup<T>(IReadOnlyDictionary<string, T> patterns, string modulePath) where T : struct =>
        Dsl.PeftModuleMatch.PatternKey(patterns.Keys, modulePath) is { } key ? patterns[key] : null;

    /// <summary>The config PEFT would write for <paramref name="injection"/> on <paramref name="model"/>.</summary>
    public static AdapterConfig For(PretrainedModel model, LoraInjection injection, TargetModuleSelection targets, string? baseModelNameOrPath)
    {
        var o = injection.Options;
        var (rank, rankPattern) = Patterned(injection, m => SavedRank(m.Adapter));
        var (alpha, alphaPattern) = Patterned(injection, m => SavedAlpha(m.Adapter));
        // The recipe's own rank_pattern / alpha_pattern, as asked, when they give every saved module its saved rank and alpha.
        if ((o.RankPattern.Count > 0 || o.AlphaPattern.Count > 0)
            && injection.Modules.All(m => o.ForModule(m.Path) is var asked && asked.Rank == SavedRank(m.Adapter) && asked.Alpha == SavedAlpha(m.Adapter)))
            (rank, rankPattern, alpha, alphaPattern) = (o.Rank, new Dictionary<string, int>(o.RankPattern), o.Alpha, new Dictionary<string, double>(o.AlphaPattern));
        return new AdapterConfig
        {
            R = rank,
            LoraAlpha = alpha,
            RankPattern = rankPattern,
            AlphaPattern = alphaPattern,
            LoraDropout = o.Dropout,
            TargetModules = targets.TargetModules,
            TargetModulesPattern = targets.Pattern,
            ExcludeModules = targets.ExcludeModules,
            LayersToTransform = targets.LayersToTransform,
            LayersPattern = targets.LayersPattern,
            Bias = o.Bias,
            FanInFanOut = injection.Modules.Any(m => m.FanInFanOut),
            ModulesToSave = o.ModulesToSave.Count == 0 ? null : o.ModulesToSave,
            TaskType = model.Task switch
            {
                ModelTask.CausalLanguageModeling => "CAUSAL_LM",
                ModelTask.SequenceClassification => "SEQ_CLS",
                _ => null,
            },
            BaseModelNameOrPath = baseModelNameOrPath,
            UseRsLora = o.UseRsLora,
            UseDora = o.UseDora,
            // PiSSA/OLoRA adapters are saved converted (see AdapterWriter.SavedFactors): plain LoRA from then on.
            InitLoraWeights = o.MutatesBase ? LoraInit.Default : o.Init,
            TrainableTokenIndices = injection.TrainableTokenIndices,
            EnsureWeightTying = o.EnsureWeightTying,
        };
    }

    /// <summary>A converted PiSSA/OLoRA adapter has rank 2r.</summary>
    static int SavedRank(LoraAdapter adapter) => adapter.InitialA is null ? adapter.Rank : 2 * adapter.Rank;

    /// <summary>Alpha that keeps the scaling at rank 2r: 2α, or √2·α with rsLoRA.</summary>
    static double SavedAlpha(LoraAdapter adapter) =>
        adapter.InitialA is null ? adapter.Options.Alpha : adapter.Options.Alpha * (adapter.Options.UseRsLora ? Math.Sqrt(2) : 2);

    /// <summary>The most common value as the default, and PEFT's pattern (full module path → value) for every module that differs.</summary>
    static (T Default, Dictionary<string, T> Pattern) Patterned<T>(LoraInjection injection, Func<AdaptedModule, T> value) where T : notnull
    {
        var values = injection.Modules.Select(m => (m.Path, Value: value(m))).ToList();
        if (values.Count == 0) return (default!, []);
        var common = values.GroupBy(v => v.Value).OrderByDescending(g => g.Count()).First().Key;
        return (common, values.Where(v => !EqualityComparer<T>.Default.Equals(v.Value, common)).ToDictionary(v => v.Path, v => v.Value, StringComparer.Ordinal));
    }

    public JsonObject ToJson()
    {
        var json = new JsonObject
        {
            ["alpha_pattern"] = new JsonObject(AlphaPattern.Select(kv => KeyValuePair.Create(kv.Key, (JsonNode?)kv.Value))),
            ["base_model_name_or_path"] = BaseModelNameOrPath,
            ["bias"] = Bias switch { LoraBias.All => "all", LoraBias.LoraOnly => "lora_only", _ => "none" },
            ["ensure_weight_tying"] = EnsureWeightTying,
            ["fan_in_fan_out"] = FanInFanOut,
            ["inference_mode"] = true,
            ["init_lora_weights"] = InitLoraWeights == LoraInit.Gaussian ? JsonValue.Create("gaussian") : JsonValue.Create(true),
            ["exclude_modules"] = ExcludeModules is null ? null : new JsonArray([.. ExcludeModules.Select(m => (JsonNode?)m)]),
            ["layers_pattern"] = LayersPattern,
            ["layers_to_transform"] = LayersToTransform is null ? null : new JsonArray([.. LayersToTransform.Select(i => (JsonNode?)i)]),
            ["lora_alpha"] = LoraAlpha,
            ["lora_dropout"] = LoraDropout,
            ["modules_to_save"] = ModulesToSave is null ? null : new JsonArray([.. ModulesToSave.Select(m => (JsonNode?)m)]),
            ["peft_type"] = PeftType,
            ["r"] = R,
            ["rank_pattern"] = new JsonObject(RankPattern.Select(kv => KeyValuePair.Create(kv.Key, (JsonNode?)kv.Value))),
            ["revision"] = null,
            ["target_modules"] = TargetModulesPattern is { } pattern ? JsonValue.Create(pattern)
                : new JsonArray([.. TargetModules.Select(m => (JsonNode?)m)]),
            ["task_type"] = TaskType,
            ["trainable_token_indices"] = TrainableTokenIndices?.ToJson(),
            ["use_dora"] = UseDora,
            ["use_rslora"] = UseRsLora,
        };
        return json;
    }

    /// <summary>Writes the config atomically (temp file beside it, then rename).</summary>
    public void Write(string path) => WriteJson(path, ToJson());

    /// <summary>Writes <paramref name="json"/> indented, atomically (temp file beside it, then rename).</summary>
    internal static void WriteJson(string path, JsonObject json)
    {
        var text = json.ToJsonString(new JsonSerializerOptions { WriteIndented = true });
        var directory = Path.GetDirectoryName(Path.GetFullPath(path))!;
        Directory.CreateDirectory(directory);
        var temp = Path.Combine(directory, $".{Path.GetFileName(path)}.{Guid.NewGuid():N}.tmp");
        try
        {
            File.WriteAllText(temp, text);
            File.Move(temp, path, overwrite: true);
        }
        finally
        {
            if (File.Exists(temp)) File.Delete(temp);
        }
    }

    /// <summary>The config file as a JSON object; a missing or malformed file is a <see cref="CheckpointFormatException"/>.</summary>
    internal static JsonObject ReadJson(string path)
    {
        if (!File.Exists(path))
            throw new CheckpointFormatException($"Adapter config '{path}' does not exist: a PEFT adapter folder holds {AdapterFiles.ConfigFile} and {AdapterFiles.WeightsFile}.");
        JsonObject json;
        try
        {
            using var document = JsonDocument.Parse(File.ReadAllText(path));
            json = LastValueWins(document.RootElement) as JsonObject
                ?? throw new CheckpointFormatException($"Adapter config '{path}' is not a JSON object.");
        }
        catch (JsonException e)
        {
            throw new CheckpointFormatException($"Adapter config '{path}' is not valid JSON: {e.Message}", e);
        }

        return json;
    }

    /// <summary>A copy of <paramref name="element"/> in which a key given twice keeps its last value, as Python's json (PEFT's reader) does.</summary>
    static JsonNode? LastValueWins(JsonElement element)
    {
        switch (element.ValueKind)
        {
            case JsonValueKind.Object:
                var o = new JsonObject();
                foreach (var p in element.EnumerateObject()) o[p.Name] = LastValueWins(p.Value);
                return o;
            case JsonValueKind.Array:
                return new JsonArray([.. element.EnumerateArray().Select(LastValueWins)]);
            case JsonValueKind.Null:
                return null;
            default:
                return JsonNode.Parse(element.GetRawText());
        }
    }

    /// <summary>
    /// Reads a config PEFT (or this runtime) wrote; unknown keys are ignored, PEFT's defaults fill absent ones.
    /// An AdaLoRA config reads as its LoRA fields (its rank_pattern, of kept flags, is <see cref="AdaLoraAdapterConfig"/>'s).
    /// </summary>
    public static AdapterConfig Read(string path)
    {
        var json = ReadJson(path);
        var peftType = Text(json, "peft_type", path)
            ?? throw new CheckpointFormatException($"Adapter config '{path}' has no 'peft_type'.");
        if (peftType is not ("LORA" or AdaLoraAdapterConfig.PeftTypeName))
            throw new AdapterMismatchException($"Adapter config '{path}': peft_type '{peftType}' is not supported; only 'LORA' and 'ADALORA' adapters load.");

        var target = json["target_modules"];
        var config = new AdapterConfig
        {
            PeftType = peftType,
            R = Value<int>(json, "r", path) ?? 8,
            LoraAlpha = Value<double>(json, "lora_alpha", path) ?? 8,
            LoraDropout = Value<double>(json, "lora_dropout", path) ?? 0,
            TargetModules = target is JsonArray array ? Strings(array, "target_modules", path) : [],
            TargetModulesPattern = target is JsonValue v && v.TryGetValue<string>(out var s) ? s : null,
            HasTargetModules = target is JsonArray || target is JsonValue { } tv && tv.TryGetValue<string>(out _),
            ExcludeModules = json["exclude_modules"] switch
            {
                JsonArray excluded => Strings(excluded, "exclude_modules", path),
                JsonValue one when one.TryGetValue<string>(out var single) => [single],
                _ => null,
            },
            LayersToTransform = json["layers_to_transform"] switch
            {
                JsonArray layers => [.. layers.Select(n => n is JsonValue l && l.TryGetValue<int>(out var layer)
                    ? layer
                    : throw new AdapterMismatchException($"Adapter config '{path}': layers_to_transform holds '{n?.ToJsonString()}', not a layer index."))],
                JsonValue one when one.TryGetValue<int>(out var single) => [single],
                _ => null,
            },
            LayersPattern = json["layers_pattern"] switch
            {
                JsonArray patterns when patterns.Count > 0 => Strings(patterns, "layers_pattern", path)[0],
                JsonValue one when one.TryGetValue<string>(out var single) => single,
                _ => null,
            },
            Bias = Text(json, "bias", path) switch
            {
                null or "none" => LoraBias.None,
                "all" => LoraBias.All,
                "lora_only" => LoraBias.LoraOnly,
                var other => throw new AdapterMismatchException($"Adapter config '{path}': bias '{other}' is not one of none, all, lora_only."),
            },
            FanInFanOut = Value<bool>(json, "fan_in_fan_out", path) ?? false,
            ModulesToSave = json["modules_to_save"] is JsonArray save ? Strings(save, "modules_to_save", path) : null,
            TaskType = Text(json, "task_type", path),
            BaseModelNameOrPath = Text(json, "base_model_name_or_path", path),
            UseRsLora = Value<bool>(json, "use_rslora", path) ?? false,
            UseDora = Value<bool>(json, "use_dora", path) ?? false,
            InitLoraWeights = ReadInit(json, path),
            RankPattern = peftType == "LORA" ? Pattern(json, "rank_pattern", path, n => n.GetValue<int>()) : new Dictionary<string, int>(),
            AlphaPattern = Pattern(json, "alpha_pattern", path, n => n.GetValue<double>()),
            TrainableTokenIndices = TrainableTokens.TrainableTokenIndices.FromJson(json["trainable_token_indices"], path),
            EnsureWeightTying = Value<bool>(json, "ensure_weight_tying", path) ?? false,
        };
        // Checked here, so that the error names this file and field rather than a LoRA option.
        void Require(bool ok, string field, string rule, object value)
        {
            if (!ok) throw new CheckpointFormatException($"Adapter config '{path}': '{field}' is {value}; it {rule}.");
        }
        Require(config.R > 0, "r", "must be positive", config.R);
        Require(config.LoraAlpha > 0, "lora_alpha", "must be positive", config.LoraAlpha);
        Require(config.LoraDropout is >= 0 and < 1, "lora_dropout", "must be in [0, 1)", config.LoraDropout);
        foreach (var (key, rank) in config.RankPattern) Require(rank > 0, $"rank_pattern.{key}", "must be positive", rank);
        foreach (var (key, alpha) in config.AlphaPattern) Require(alpha > 0, $"alpha_pattern.{key}", "must be positive", alpha);
        return config;
    }

    /// <summary>
    /// Weights come from the file, so most inits only mattered at training time. PiSSA, OLoRA, CorDA and LoftQ changed
    /// the base: PEFT saves such an adapter unconverted unless asked, and it is then relative to a base nobody else has.
    /// </summary>
    static LoraInit ReadInit(JsonObject json, string path)
    {
        if (json["init_lora_weights"] is not JsonValue init || !init.TryGetValue<string>(out var name)) return LoraInit.Default;
        if (name == "gaussian") return LoraInit.Gaussian;
        if (name is "olora" or "corda" or "loftq" || name.StartsWith("pissa", StringComparison.Ordinal))
            throw new AdapterMismatchException(
                $"Adapter config '{path}': init_lora_weights is '{name}', and the adapter was saved unconverted: its weights are relative to the " +
                "residual base that initialisation made, not to the original model. Save it again in PEFT with " +
                "save_pretrained(..., path_initial_model_for_weight_conversion=...) (LoraDsl converts on save), which makes it a plain LoRA adapter.");
        return LoraInit.Default;
    }

    internal static T? Value<T>(JsonObject json, string key, string path) where T : struct =>
        json[key] is null ? null : Convert<T>(json[key]!, key, path);

    static string? Text(JsonObject json, string key, string path) =>
        json[key] is null ? null : Convert<string>(json[key]!, key, path);

    static T Convert<T>(JsonNode node, string key, string path)
    {
        try
        {
            return node.GetValue<T>();
        }
        catch (Exception e) when (e is InvalidOperationException or FormatException)
        {
            throw new CheckpointFormatException($"Adapter config '{path}': '{key}' has the value {node.ToJsonString()}, not a {typeof(T).Name}.", e);
        }
    }

    static string[] Strings(JsonArray array, string key, string path) =>
        [.. array.Select((n, i) => n is JsonValue v && v.TryGetValue<string>(out var s) ? s
            : throw new CheckpointFormatException($"Adapter config '{path}': {key}[{i}] is {n?.ToJsonString() ?? "null"}, not a module name."))];

    static Dictionary<string, T> Pattern<T>(JsonObject json, string key, string path, Func<JsonNode, T> read)
    {
        var result = new Dictionary<string, T>();
        if (json[key] is not JsonObject obj) return result;
        foreach (var (name, node) in obj)
        {
            try
            {
                result[name] = read(node!);
            }
            catch (Exception e) when (e is InvalidOperationException or FormatException or NullReferenceException)
            {
                throw new CheckpointFormatException($"Adapter config '{path}': {key}['{name}'] is not a number.", e);
            }
        }
        return result;
    }
}
