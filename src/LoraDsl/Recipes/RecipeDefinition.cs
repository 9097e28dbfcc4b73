using System.Globalization;
using LoraDsl.Data;
using LoraDsl.Dsl;
using LoraDsl.Lora;
using LoraDsl.Training;

namespace LoraDsl.Recipes;

/// <summary>Everything a recipe says, as plain options the engine consumes.</summary>
public sealed record RecipeDefinition(
    string Name,
    ArchitectureDescriptor Architecture,
    ModelSource Model,
    LoraOptions Lora,
    TargetSet Targets,
    DataOptions Data,
    TrainingOptions Training)
{
    /// <summary>Depth known before loading (recipe or architecture declaration), for early layer checks.</summary>
    public int? KnownDepth { get; init; }

    /// <summary>The keys <see cref="WithOverride"/> accepts (<c>--set key=value</c>).</summary>
    public static IReadOnlyList<string> OverrideKeys { get; } =
    [
        "lora.r", "lora.alpha", "lora.dropout", "lora.use_rslora", "lora.use_dora",
        "training.lr", "training.epochs", "training.max_steps", "training.batch_size", "training.grad_accum",
        "training.warmup_steps", "training.weight_decay", "training.seed", "training.output_dir",
        "data.max_tokens", "data.max_records", "data.validation_fraction", "data.files",
        "model.path",
    ];

    /// <summary>Applies <c>key=value</c> overrides in order, then validates.</summary>
    public RecipeDefinition WithOverrides(IEnumerable<KeyValuePair<string, string>> overrides)
    {
        var result = this;
        foreach (var (key, value) in overrides) result = result.Apply(key, value);
        result.Validate();
        return result;
    }

    /// <summary>Applies one override, e.g. ("lora.r", "8"), then validates.</summary>
    public RecipeDefinition WithOverride(string key, string value) => WithOverrides([new(key, value)]);

    /// <summary>Splits "key=value" as written after <c>--set</c>.</summary>
    public static KeyValuePair<string, string> ParseOverride(string assignment)
    {
        var equals = assignment.IndexOf('=');
        if (equals <= 0)
            throw new RecipeValidationException($"Override '{assignment}' is not of the form key=value (e.g. lora.r=8).");
        return new(assignment[..equals].Trim(), assignment[(equals + 1)..].Trim());
    }

    /// <summary>Checks the LoRA options and the targets (layers too when the depth is known).</summary>
    public void Validate()
    {
        if (Lora.Rank <= 0) throw Invalid(DslMessages.RankNotPositive, Lora.Rank);
        if (!(Lora.Alpha > 0)) throw Invalid(DslMessages.AlphaNotPositive, Lora.Alpha);
        if (!(Lora.Dropout >= 0 && Lora.Dropout < 1)) throw Invalid(DslMessages.DropoutOutOfRange, Lora.Dropout);
        Targets.Resolve(Architecture, KnownDepth ?? int.MaxValue);
    }

    private RecipeDefinition Apply(string key, string value) => key switch
    {
        "lora.r" or "lora.rank" => this with { Lora = Lora with { Rank = Int(key, value) } },
        "lora.alpha" => this with { Lora = Lora with { Alpha = Double(key, value) } },
        "lora.dropout" => this with { Lora = Lora with { Dropout = Double(key, value) } },
        "lora.use_rslora" => this with { Lora = Lora with { UseRsLora = Bool(key, value) } },
        "lora.use_dora" => this with { Lora = Lora with { UseDora = Bool(key, value) } },
        "training.lr" or "training.learning_rate" => this with { Training = Training with { LearningRate = Double(key, value) } },
        "training.epochs" => this with { Training = Training with { Epochs = Int(key, value) } },
        "training.max_steps" => this with { Training = Training with { MaxSteps = Int(key, value) } },
        "training.batch_size" => this with { Training = Training with { BatchSize = Int(key, value) } },
        "training.grad_accum" => this with { Training = Training with { GradientAccumulationSteps = Int(key, value) } },
        "training.warmup_steps" => this with { Training = Training with { WarmupSteps = Int(key, value) } },
        "training.weight_decay" => this with { Training = Training with { WeightDecay = Double(key, value) } },
        "training.seed" => this with { Training = Training with { Seed = Int(key, value) } },
        "training.output_dir" => this with { Training = Training with { OutputDirectory = value } },
        "data.max_tokens" => this with { Data = Data with { MaxTokens = Int(key, value) } },
        "data.max_records" => this with { Data = Data with { MaxRecords = Int(key, value) } },
        "data.validation_fraction" => this with { Data = Data with { ValidationFraction = Double(key, value) } },
        "data.files" => this with { Data = Data with { Files = value.Split(',', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries) } },
        "model.path" => this with { Model = ModelSource.FromDirectory(value) },
        _ => throw new RecipeValidationException(
            $"Recipe '{Name}' has no setting '{key}'{Suggestion(key)}; known keys: {string.Join(", ", OverrideKeys)}."),
    };

    private static string Suggestion(string key) => DslMessages.Closest(key, OverrideKeys) is { } s ? $" (did you mean '{s}'?)" : "";

    private static int Int(string key, string value) =>
        int.TryParse(value, NumberStyles.Integer, CultureInfo.InvariantCulture, out var result)
            ? result
            : throw new RecipeValidationException($"Setting '{key}' needs an integer, got '{value}'.");

    private static double Double(string key, string value) =>
        double.TryParse(value, NumberStyles.Float, CultureInfo.InvariantCulture, out var result)
            ? result
            : throw new RecipeValidationException($"Setting '{key}' needs a number, got '{value}'.");

    private static bool Bool(string key, string value) =>
        bool.TryParse(value, out var result)
            ? result
            : throw new RecipeValidationException($"Setting '{key}' needs true or false, got '{value}'.");

    private static RecipeValidationException Invalid(string format, object value) =>
        new(string.Format(CultureInfo.InvariantCulture, format, value));
}
