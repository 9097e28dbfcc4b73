using System.Globalization;
using LoraDsl.Data;
using LoraDsl.Dsl;
using LoraDsl.Lora;
using LoraDsl.Training;

namespace LoraDsl.Recipes.Settings;

/// <summary>
/// Every recipe setting with its reader and writer: what <c>--set key=value</c> reaches, what run.json records and
/// what the validation checks after overrides. Rows follow <see cref="RecipeSettingCatalog"/> one for one (a test holds
/// them together, and checks that each row's builder method exists).
/// </summary>
internal static class RecipeSettings
{
    public static IReadOnlyList<RecipeSetting> All { get; } =
    [
        Row("model.path", r => r.Model.Kind == ModelSourceKind.Directory ? r.Model.Location : null, (r, v) => r with { Model = ModelSource.FromDirectory(v) }),
        Row("model.builtin", r => r.Model.Kind == ModelSourceKind.BuiltIn ? r.Model.Location : null, (r, v) => r with { Model = ModelSource.BuiltIn(v) }),

        Row("quantization.type", r => r.QuantizationType is { } t ? Choice(t) : "none",
            (r, v, k) => r with { QuantizationType = IsNone(v) ? null : Choice<Quantization.FourBitDataType>(k, v) }),
        Row("quantization.double_quant", r => r.Quantization.DoubleQuant, (r, v, k) => r with { Quantization = r.Quantization with { DoubleQuant = Bool(k, v) } }),
        Row("quantization.blocksize", r => r.Quantization.BlockSize, (r, v, k) => r with { Quantization = r.Quantization with { BlockSize = Int(k, v) } }),
        Row("quantization.compute_dtype", r => r.Quantization.ComputeDtype == TorchSharp.torch.ScalarType.Float32 ? "fp32" : "bf16",
            (r, v, k) => r with { Quantization = r.Quantization with { ComputeDtype = v switch
            {
                "bf16" => TorchSharp.torch.ScalarType.BFloat16,
                "fp32" => TorchSharp.torch.ScalarType.Float32,
                _ => throw new RecipeValidationException(string.Format(CultureInfo.InvariantCulture, DslMessages.SettingNeedsChoice, k, "bf16, fp32", v)),
            } } }),
        Row("quantization.skip_modules", r => r.Quantization.SkipModules, (r, v) => r with { Quantization = r.Quantization with { SkipModules = List(v) } }),
        Row("lora.r", r => r.Lora.Rank, (r, v, k) => r with { Lora = r.Lora with { Rank = Int(k, v) } }),
        Row("lora.alpha", r => r.Lora.Alpha, (r, v, k) => r with { Lora = r.Lora with { Alpha = Number(k, v) } }),
        Row("lora.dropout", r => r.Lora.Dropout, (r, v, k) => r with { Lora = r.Lora with { Dropout = Number(k, v) } }),
        Row("lora.use_rslora", r => r.Lora.UseRsLora, (r, v, k) => r with { Lora = r.Lora with { UseRsLora = Bool(k, v) } }),
        Row("lora.use_dora", r => r.Lora.UseDora, (r, v, k) => r with { Lora = r.Lora with { UseDora = Bool(k, v) } }),
        Row("lora.bias", r => Choice(r.Lora.Bias), (r, v, k) => r with { Lora = r.Lora with { Bias = Choice<LoraBias>(k, v) } }),
        Row("lora.init", r => Choice(r.Lora.Init), (r, v, k) => r with { Lora = r.Lora with { Init = Choice<LoraInit>(k, v) } }),
        Row("lora.pissa_iterations", r => r.Lora.PissaIterations, (r, v, k) => r with { Lora = r.Lora with { PissaIterations = OptionalInt(k, v) } }),
        Row("lora.modules_to_save", r => r.Lora.ModulesToSave, (r, v) => r with { Lora = r.Lora with { ModulesToSave = List(v) } }),
        Row("lora.target_modules", r => r.Targets.IsEmpty ? null : r.Targets.Targets.Select(TargetText).ToList(),
            (r, v) => r with { Targets = TargetsOf(v), Lora = r.Lora with { Selection = r.Lora.Selection with { TargetRegex = null } } }),
        Row("lora.target_regex", r => r.Lora.Selection.TargetRegex,
            (r, v) => IsNone(v) ? r with { Lora = r.Lora with { Selection = r.Lora.Selection with { TargetRegex = null } } }
                : r with { Targets = TargetSet.Empty, Lora = r.Lora with { Selection = r.Lora.Selection with { TargetRegex = v } } }),
        Row("lora.exclude_modules", r => r.Lora.Selection.ExcludeModules, (r, v) => r with { Lora = r.Lora with { Selection = r.Lora.Selection with { ExcludeModules = NoneOrList(v) } } }),
        Row("lora.layers_to_transform", r => r.Lora.Selection.LayersToTransform.Select(l => l.ToString(CultureInfo.InvariantCulture)).ToList(),
            (r, v, k) => r with { Lora = r.Lora with { Selection = r.Lora.Selection with { LayersToTransform = [.. NoneOrList(v).Select(l => Int(k, l))] } } }),
        Row("lora.layers_pattern", r => r.Lora.Selection.LayersPattern, (r, v) => r with { Lora = r.Lora with { Selection = r.Lora.Selection with { LayersPattern = IsNone(v) ? null : v } } }),
        Row("lora.rank_pattern", r => PatternText(r.Lora.RankPattern), (r, v, k) => r with { Lora = r.Lora with { RankPattern = Pattern(k, v, Int) } }),
        Row("lora.alpha_pattern", r => PatternText(r.Lora.AlphaPattern), (r, v, k) => r with { Lora = r.Lora with { AlphaPattern = Pattern(k, v, Number) } }),
        Row("lora.trainable_token_indices", r => r.Lora.TrainableTokens?.ToString(), (r, v, k) => r with { Lora = r.Lora with { TrainableTokens = TrainableTokens(k, v) } }),
        Row("lora.ensure_weight_tying", r => r.Lora.EnsureWeightTying, (r, v, k) => r with { Lora = r.Lora with { EnsureWeightTying = Bool(k, v) } }),
        Row("lora.use_adalora", r => r.UseAdaLora, (r, v, k) => r with { UseAdaLora = Bool(k, v) }),
        Row("lora.adalora.target_r", r => r.AdaLora.TargetR, (r, v, k) => r with { AdaLora = r.AdaLora with { TargetR = Int(k, v) } }),
        Row("lora.adalora.init_r", r => r.AdaLora.InitR, (r, v, k) => r with { AdaLora = r.AdaLora with { InitR = Int(k, v) } }),
        Row("lora.adalora.tinit", r => r.AdaLora.TInit, (r, v, k) => r with { AdaLora = r.AdaLora with { TInit = Int(k, v) } }),
        Row("lora.adalora.tfinal", r => r.AdaLora.TFinal, (r, v, k) => r with { AdaLora = r.AdaLora with { TFinal = Int(k, v) } }),
        Row("lora.adalora.delta_t", r => r.AdaLora.DeltaT, (r, v, k) => r with { AdaLora = r.AdaLora with { DeltaT = Int(k, v) } }),
        Row("lora.adalora.beta1", r => r.AdaLora.Beta1, (r, v, k) => r with { AdaLora = r.AdaLora with { Beta1 = Number(k, v) } }),
        Row("lora.adalora.beta2", r => r.AdaLora.Beta2, (r, v, k) => r with { AdaLora = r.AdaLora with { Beta2 = Number(k, v) } }),
        Row("lora.adalora.orth_reg_weight", r => r.AdaLora.OrthRegWeight, (r, v, k) => r with { AdaLora = r.AdaLora with { OrthRegWeight = Number(k, v) } }),
        Row("lora.adalora.total_step", r => r.AdaLora.TotalStep, (r, v, k) => r with { AdaLora = r.AdaLora with { TotalStep = OptionalInt(k, v) } }),

        Row("start.adapters", r => r.Start?.Adapters.Select(a => a.ToString()).ToList(), (r, v) => r with { Start = StartAdapters(r.Start, v) }),
        Row("start.weights", r => r.Start?.Adapters.Select(a => a.Weight.ToString(CultureInfo.InvariantCulture)).ToList(), (r, v, k) => r with { Start = StartWeights(r, v, k) }),
        Row("start.method", r => r.Start?.Method is { } m ? Choice(m) : null,
            (r, v, k) => r with { Start = (r.Start ?? new()) with { Method = IsNone(v) ? null : Choice<Adapters.Combination.CombinationMethod>(k, v) } }),
        Row("start.density", r => r.Start?.Density, (r, v, k) => r with { Start = (r.Start ?? new()) with { Density = OptionalNumber(k, v) } }),
        Row("start.svd_rank", r => r.Start?.SvdRank, (r, v, k) => r with { Start = (r.Start ?? new()) with { SvdRank = OptionalInt(k, v) } }),

        Row("data.files", r => r.Data.Files, (r, v) => r with { Data = r.Data with { Files = List(v) } }),
        Row("data.format", r => Choice(r.Data.Format), (r, v, k) => r with { Data = WithFormat(r.Data, Choice<DataFormat>(k, v)) }),
        Row("data.task", r => Choice(r.Data.Task), (r, v, k) => r with { Data = r.Data with { Task = Choice<DataTask>(k, v) } }),
        Row("data.text_field", r => r.Data.TextField, (r, v) => r with { Data = r.Data with { TextField = v } }),
        Row("data.label_field", r => r.Data.LabelField, (r, v) => r with { Data = r.Data with { LabelField = v } }),
        Row("data.labels", r => r.Data.Labels, (r, v) => r with { Data = r.Data with { Labels = v.Length == 0 ? null : List(v) } }),
        Row("data.messages_field", r => r.Data.MessagesField, (r, v) => r with { Data = r.Data with { MessagesField = v } }),
        Row("data.chat_template", r => r.Data.ChatTemplate, (r, v) => r with { Data = r.Data with { ChatTemplate = IsNone(v) ? null : v } }),
        Row("data.train_on", r => Choice(r.Data.TrainOn), (r, v, k) => r with { Data = r.Data with { TrainOn = Choice<Data.Chat.ChatTrainOn>(k, v) } }),
        Row("data.max_tokens", r => r.Data.MaxTokens, (r, v, k) => r with { Data = r.Data with { MaxTokens = Int(k, v) } }),
        Row("data.validation_fraction", r => r.Data.ValidationFraction, (r, v, k) => r with { Data = r.Data with { ValidationFraction = Number(k, v) } }),
        Row("data.packing", r => r.Data.Packing, (r, v, k) => r with { Data = r.Data with { Packing = Bool(k, v) } }),
        Row("data.max_records", r => r.Data.MaxRecords, (r, v, k) => r with { Data = r.Data with { MaxRecords = OptionalInt(k, v) } }),
        Row("data.seed", r => r.Data.Seed, (r, v, k) => r with { Data = r.Data with { Seed = Int(k, v) } }),

        Row("training.lr", r => r.Training.LearningRate, (r, v, k) => r with { Training = r.Training with { LearningRate = Number(k, v) } }),
        Row("training.weight_decay", r => r.Training.WeightDecay, (r, v, k) => r with { Training = r.Training with { WeightDecay = Number(k, v) } }),
        Row("training.beta1", r => r.Training.Beta1, (r, v, k) => r with { Training = r.Training with { Beta1 = Number(k, v) } }),
        Row("training.beta2", r => r.Training.Beta2, (r, v, k) => r with { Training = r.Training with { Beta2 = Number(k, v) } }),
        Row("training.epsilon", r => r.Training.Epsilon, (r, v, k) => r with { Training = r.Training with { Epsilon = Number(k, v) } }),
        Row("training.warmup_fraction", r => r.Training.WarmupFraction, (r, v, k) => r with { Training = r.Training with { WarmupFraction = Number(k, v) } }),
        Row("training.warmup_steps", r => r.Training.WarmupSteps, (r, v, k) => r with { Training = r.Training with { WarmupSteps = OptionalInt(k, v) } }),
        Row("training.decay", r => Choice(r.Training.Decay), (r, v, k) => r with { Training = r.Training with { Decay = Choice<LearningRateDecay>(k, v) } }),
        Row("training.epochs", r => r.Training.Epochs, (r, v, k) => r with { Training = r.Training with { Epochs = Int(k, v) } }),
        Row("training.max_steps", r => r.Training.MaxSteps, (r, v, k) => r with { Training = r.Training with { MaxSteps = OptionalInt(k, v) } }),
        Row("training.batch_size", r => r.Training.BatchSize, (r, v, k) => r with { Training = r.Training with { BatchSize = Int(k, v) } }),
        Row("training.grad_accum", r => r.Training.GradientAccumulationSteps, (r, v, k) => r with { Training = r.Training with { GradientAccumulationSteps = Int(k, v) } }),
        Row("training.max_grad_norm", r => r.Training.MaxGradNorm, (r, v, k) => r with { Training = r.Training with { MaxGradNorm = OptionalNumber(k, v) } }),
        Row("training.eval_every", r => r.Training.EvalEvery, (r, v, k) => r with { Training = r.Training with { EvalEvery = Int(k, v) } }),
        Row("training.save_every", r => r.Training.SaveEvery, (r, v, k) => r with { Training = r.Training with { SaveEvery = Int(k, v) } }),
        Row("training.log_every", r => r.Training.LogEvery, (r, v, k) => r with { Training = r.Training with { LogEvery = Int(k, v) } }),
        Row("training.data_parallel", r => Choice(r.Training.DataParallel), (r, v, k) => r with { Training = r.Training with { DataParallel = Choice<Distributed.DataParallelMode>(k, v) } }),
        Row("training.processes", r => r.Training.Processes, (r, v, k) => r with { Training = r.Training with { Processes = Int(k, v) } }),
        Row("training.seed", r => r.Training.Seed, (r, v, k) => r with { Training = r.Training with { Seed = Int(k, v) } }),
        Row("training.output_dir", r => r.Training.OutputDirectory, (r, v) => r with { Training = r.Training with { OutputDirectory = v } }),
        Row("precision", r => r.Training.Precision.Name(), (r, v, k) => r with { Training = r.Training with { Precision = Precision(k, v) } }),
        Row("training.gradient_checkpointing", r => r.Training.GradientCheckpointing,
            (r, v, k) => r with { Training = r.Training with { GradientCheckpointing = Bool(k, v) } }),
        Row("training.neftune_alpha", r => r.Training.NeftuneAlpha, (r, v, k) => r with { Training = r.Training with { NeftuneAlpha = OptionalNumber(k, v) } }),
        Row("training.loraplus_ratio", r => r.Training.LoraPlusRatio, (r, v, k) => r with { Training = r.Training with { LoraPlusRatio = OptionalNumber(k, v) } }),
        Row("training.loraplus_lr_embedding", r => r.Training.LoraPlusEmbeddingLearningRate,
            (r, v, k) => r with { Training = r.Training with { LoraPlusEmbeddingLearningRate = OptionalNumber(k, v) } }),
    ];

    /// <summary>The keys <c>--set</c> accepts, in table order.</summary>
    public static IReadOnlyList<string> Keys { get; } = [.. All.Select(s => s.Key)];

    /// <summary>The row for <paramref name="key"/> (or one of its aliases); an unknown key is a <see cref="RecipeValidationException"/> with the closest key.</summary>
    public static RecipeSetting Find(string key, string recipeName)
    {
        foreach (var setting in All)
            if (setting.Info.Matches(key)) return setting;
        var close = DslMessages.Closest(key, All.SelectMany(r => r.Info.Aliases.Prepend(r.Key)));
        var suggestion = DslMessages.SettingSuggestion(close is null ? null : All.First(r => r.Info.Matches(close)).Key);
        throw new RecipeValidationException(string.Format(CultureInfo.InvariantCulture, DslMessages.UnknownSetting, recipeName, key, suggestion, string.Join(", ", Keys)));
    }

    static RecipeSetting Row(string key, Func<RecipeDefinition, object?> read, Func<RecipeDefinition, string, string, RecipeDefinition> write) =>
        new(RecipeSettingCatalog.Find(key) ?? throw new InvalidOperationException($"'{key}' is not in RecipeSettingCatalog."), read, (r, v) => write(r, v, key));

    static RecipeSetting Row(string key, Func<RecipeDefinition, object?> read, Func<RecipeDefinition, string, RecipeDefinition> write) =>
        Row(key, read, (r, v, _) => write(r, v));

    static int Int(string key, string value) =>
        int.TryParse(value, NumberStyles.Integer, CultureInfo.InvariantCulture, out var result)
            ? result
            : throw new RecipeValidationException(string.Format(CultureInfo.InvariantCulture, DslMessages.SettingNeedsInteger, key, value));

    static int? OptionalInt(string key, string value) => IsNone(value) ? null : Int(key, value);

    static double Number(string key, string value) =>
        double.TryParse(value, NumberStyles.Float, CultureInfo.InvariantCulture, out var result)
            ? result
            : throw new RecipeValidationException(string.Format(CultureInfo.InvariantCulture, DslMessages.SettingNeedsNumber, key, value));

    static double? OptionalNumber(string key, string value) => IsNone(value) ? null : Number(key, value);

    static bool Bool(string key, string value) =>
        bool.TryParse(value, out var result)
            ? result
            : throw new RecipeValidationException(string.Format(CultureInfo.InvariantCulture, DslMessages.SettingNeedsBoolean, key, value));

    static Precision Precision(string key, string value)
    {
        try
        {
            return MixedPrecision.Parse(value);
        }
        catch (ArgumentException)
        {
            throw new RecipeValidationException(string.Format(CultureInfo.InvariantCulture, DslMessages.SettingNeedsChoice, key, "fp32, bf16, fp16", value));
        }
    }

    /// <summary>Chat files train the chat task, so --set data.format=chat alone switches a recipe to it.</summary>
    static DataOptions WithFormat(DataOptions data, DataFormat format) =>
        data with { Format = format, Task = format == DataFormat.Chat ? DataTask.Chat : data.Task };

    static IReadOnlyList<string> NoneOrList(string value) => IsNone(value) ? [] : List(value);

    // --set lora.target_modules: PEFT's list (all-linear = the AllLinear preset), replacing every target the recipe states.
    static TargetSet TargetsOf(string value)
    {
        var set = TargetSet.Empty;
        foreach (var name in NoneOrList(value)) set = set.Add(LoraBuilder.TargetSpecFor(name));
        return set;
    }

    static string TargetText(TargetSpec target) =>
        target.Module?.Name ?? target.Name ?? (target.Preset == Dsl.Preset.AllLinear ? PeftModuleMatch.AllLinear : target.ToString());

    // KEY=VALUE entries, comma-separated; the value follows the last '=', so a key may hold '=' (a regex lookahead); none = empty.
    static IReadOnlyDictionary<string, T> Pattern<T>(string key, string value, Func<string, string, T> parse)
    {
        var pattern = new Dictionary<string, T>(StringComparer.Ordinal);
        foreach (var entry in NoneOrList(value))
        {
            var equals = entry.LastIndexOf('=');
            if (equals <= 0)
                throw new RecipeValidationException($"{key} entry '{entry}' is not of the form KEY=VALUE (e.g. {key}=q_proj=16).");
            pattern[entry[..equals].Trim()] = parse(key, entry[(equals + 1)..].Trim());
        }
        return pattern;
    }

    static IReadOnlyList<string>? PatternText<T>(IReadOnlyDictionary<string, T> pattern) =>
        pattern.Count == 0 ? null : [.. pattern.Select(kv => kv.Key + "=" + RecipeSetting.Text(kv.Value))];

    static TrainableTokens.TrainableTokenSelection? TrainableTokens(string key, string value)
    {
        try
        {
            return LoraDsl.TrainableTokens.TrainableTokenSelection.Parse(value);
        }
        catch (FormatException e)
        {
            throw new RecipeValidationException($"Setting '{key}': {e.Message} Write token ids and texts separated by commas, or PEFT's JSON ([151645] or {{\"embed_tokens\": [151645]}}).");
        }
    }

    static bool IsNone(string value) => value.Length == 0 || value.Equals("none", StringComparison.OrdinalIgnoreCase);

    static IReadOnlyList<string> List(string value) => value.Split(',', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries);

    // "a=DIR,b=DIR" or "DIR": the start adapters; an empty value (or none) starts from fresh adapters. Replacing as many
    // adapters as the recipe declares keeps their weights in order (new folders for the same combination), else weight 1 each.
    static Adapters.Start.AdapterStart? StartAdapters(Adapters.Start.AdapterStart? start, string value)
    {
        if (IsNone(value)) return null;
        var entries = List(value);
        var declared = start?.Adapters ?? [];
        double Weight(int i) => declared.Count == entries.Count ? declared[i].Weight : 1.0;
        return (start ?? new()) with
        {
            Adapters = [.. entries.Select((e, i) => e.IndexOf('=') is var eq and > 0
                ? new Adapters.Start.StartingAdapter(e[..eq].Trim(), e[(eq + 1)..].Trim(), Weight(i))
                : new Adapters.Start.StartingAdapter(StartBuilder.NameOf(e, i), e, Weight(i)))],
        };
    }

    static Adapters.Start.AdapterStart StartWeights(RecipeDefinition recipe, string value, string key)
    {
        var start = recipe.Start ?? new();
        var weights = List(value).Select(w => Number(key, w)).ToList();
        if (weights.Count != start.Adapters.Count)
            throw new RecipeValidationException($"Recipe '{recipe.Name}': {key} has {weights.Count} values for {start.Adapters.Count} start adapters (start.adapters).");
        return start with { Adapters = [.. start.Adapters.Select((a, i) => a with { Weight = weights[i] })] };
    }

    /// <summary>An enum value as its --set spelling: the catalog's choice at the same position as the enum member.</summary>
    static string Choice<T>(T value) where T : struct, Enum => SettingChoices.Spell(value);

    static T Choice<T>(string key, string value) where T : struct, Enum => SettingChoices.Parse<T>(key, value);
}
