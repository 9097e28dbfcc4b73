namespace LoraDsl.Lora;

/// <summary>
/// One adapter's hyperparameters, PEFT's <c>LoraConfig</c> minus the typed targets (placement is the
/// DSL's job; <see cref="Selection"/> narrows it as PEFT's options do). Defaults follow the field: r 16, alpha 32, dropout 0.05.
/// </summary>
public sealed record LoraOptions
{
    public int Rank { get; init; } = 16;

    public double Alpha { get; init; } = 32;

    public double Dropout { get; init; } = 0.05;

    /// <summary>PEFT <c>bias</c>: which biases train.</summary>
    public LoraBias Bias { get; init; } = LoraBias.None;

    /// <summary>rsLoRA: scaling = alpha / sqrt(r) instead of alpha / r.</summary>
    public bool UseRsLora { get; init; }

    /// <summary>DoRA: weight-decomposed LoRA (a magnitude vector per output row).</summary>
    public bool UseDora { get; init; }

    /// <summary>PEFT <c>init_lora_weights</c>.</summary>
    public LoraInit Init { get; init; } = LoraInit.Default;

    /// <summary>With <see cref="LoraInit.Pissa"/>: PEFT's "pissa_niter_N", a randomized SVD with N subspace iterations; null = the exact SVD.</summary>
    public int? PissaIterations { get; init; }

    /// <summary>True when initialisation changes the base weight (PiSSA, OLoRA), so saved adapters are converted.</summary>
    public bool MutatesBase => Init is LoraInit.Pissa or LoraInit.Olora;

    /// <summary>Modules trained in full and saved with the adapter (e.g. "classifier").</summary>
    public IReadOnlyList<string> ModulesToSave { get; init; } = [];

    /// <summary>PEFT's adapter name; "default" is stripped from saved tensor names.</summary>
    public string AdapterName { get; init; } = "default";

    /// <summary>PEFT's rank_pattern: module-name pattern → rank, for modules that differ from <see cref="Rank"/> (first matching key wins).</summary>
    public IReadOnlyDictionary<string, int> RankPattern { get; init; } = new Dictionary<string, int>();

    /// <summary>PEFT's alpha_pattern: module-name pattern → alpha, for modules that differ from <see cref="Alpha"/>.</summary>
    public IReadOnlyDictionary<string, double> AlphaPattern { get; init; } = new Dictionary<string, double>();

    /// <summary>PEFT's target_modules regex, exclude_modules, layers_to_transform and layers_pattern.</summary>
    public ModuleSelection Selection { get; init; } = ModuleSelection.All;

    /// <summary>
    /// The options of the module at <paramref name="modulePath"/>: rank and alpha from the first rank_pattern / alpha_pattern
    /// key that matches it (PEFT's get_pattern_key), else <see cref="Rank"/> and <see cref="Alpha"/>; scaling follows per module.
    /// </summary>
    public LoraOptions ForModule(string modulePath)
    {
        if (RankPattern.Count == 0 && AlphaPattern.Count == 0) return this;
        var rank = Dsl.PeftModuleMatch.PatternKey(RankPattern.Keys, modulePath) is { } rankKey ? RankPattern[rankKey] : Rank;
        var alpha = Dsl.PeftModuleMatch.PatternKey(AlphaPattern.Keys, modulePath) is { } alphaKey ? AlphaPattern[alphaKey] : Alpha;
        return rank == Rank && alpha == Alpha ? this : this with { Rank = rank, Alpha = alpha };
    }

    public double Scaling => UseRsLora ? Alpha / Math.Sqrt(Rank) : Alpha / Rank;

    /// <summary>Throws <see cref="ArgumentException"/> with the same wording as the compile-time diagnostics.</summary>
    public void Validate()
    {
        if (Rank <= 0) throw new ArgumentException($"LoRA rank must be positive, got {Rank}.");
        if (!(Alpha > 0)) throw new ArgumentException($"LoRA alpha must be positive, got {Alpha}.");
        if (!(Dropout >= 0 && Dropout < 1)) throw new ArgumentException($"LoRA dropout must be in [0, 1), got {Dropout}.");
        if (PissaIterations is { } n && (Init != LoraInit.Pissa || n < 0))
            throw new ArgumentException($"PiSSA iterations ({n}) apply to init \"pissa\" only and must be >= 0; init is {Init}.");
        foreach (var (key, rank) in RankPattern)
            if (rank <= 0) throw new ArgumentException(Format(Dsl.DslMessages.PatternValueNotPositive, "lora.rank_pattern", key, rank));
        foreach (var (key, alpha) in AlphaPattern)
            if (!(alpha > 0)) throw new ArgumentException(Format(Dsl.DslMessages.PatternValueNotPositive, "lora.alpha_pattern", key, alpha));
    }

    static string Format(string format, params object[] arguments) => string.Format(System.Globalization.CultureInfo.InvariantCulture, format, arguments);
}
