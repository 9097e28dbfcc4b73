namespace LoraDsl.Lora;

/// <summary>
/// One adapter's hyperparameters, PEFT's <c>LoraConfig</c> minus the targets (placement is the
/// DSL's job). Defaults follow the field: r 16, alpha 32, dropout 0.05.
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

    /// <summary>PEFT's <c>trainable_token_indices</c>: embedding rows trained on their own (ids, or texts resolved with the tokenizer at run time).</summary>
    public TrainableTokens.TrainableTokenSelection? TrainableTokens { get; init; }

    /// <summary>PEFT's <c>ensure_weight_tying</c>: adapters on a tied embedding/head stay tied (an error where they cannot).</summary>
    public bool EnsureWeightTying { get; init; }

    /// <summary>PEFT's adapter name; "default" is stripped from saved tensor names.</summary>
    public string AdapterName { get; init; } = "default";

    public double Scaling => UseRsLora ? Alpha / Math.Sqrt(Rank) : Alpha / Rank;

    /// <summary>Throws <see cref="ArgumentException"/> with the same wording as the compile-time diagnostics.</summary>
    public void Validate()
    {
        if (Rank <= 0) throw new ArgumentException($"LoRA rank must be positive, got {Rank}.");
        if (!(Alpha > 0)) throw new ArgumentException($"LoRA alpha must be positive, got {Alpha}.");
        if (!(Dropout >= 0 && Dropout < 1)) throw new ArgumentException($"LoRA dropout must be in [0, 1), got {Dropout}.");
        if (PissaIterations is { } n && (Init != LoraInit.Pissa || n < 0))
            throw new ArgumentException($"PiSSA iterations ({n}) apply to init \"pissa\" only and must be >= 0; init is {Init}.");
    }
}
