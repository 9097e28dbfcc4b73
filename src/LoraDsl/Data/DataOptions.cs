namespace LoraDsl.Data;

/// <summary>Where the examples come from and how they become token ids.</summary>
public sealed record DataOptions
{
    /// <summary>JSONL, CSV or plain-text files (format from the extension unless <see cref="Format"/> says).</summary>
    public IReadOnlyList<string> Files { get; init; } = [];
    public DataFormat Format { get; init; } = DataFormat.Auto;
    public DataTask Task { get; init; } = DataTask.Classification;

    /// <summary>Field holding the text (classification, causal LM on JSONL/CSV).</summary>
    public string TextField { get; init; } = "text";

    /// <summary>Field holding the label (classification).</summary>
    public string LabelField { get; init; } = "label";

    /// <summary>Label names in index order; null = sorted distinct values found in the data.</summary>
    public IReadOnlyList<string>? Labels { get; init; }

    /// <summary>Instruction tuning fields (Alpaca style).</summary>
    public string InstructionField { get; init; } = "instruction";
    public string InputField { get; init; } = "input";
    public string OutputField { get; init; } = "output";

    /// <summary>Truncate (classification, instructions) or pack (causal LM) to this many tokens.</summary>
    public int MaxTokens { get; init; } = 256;

    public double ValidationFraction { get; init; } = 0.1;

    /// <summary>Pack several examples into each training row of MaxTokens (each attends only to itself); instruction and chat data.</summary>
    public bool Packing { get; init; }

    /// <summary>Use at most this many records (after the seeded shuffle); null = all.</summary>
    public int? MaxRecords { get; init; }
    public int Seed { get; init; } = 42;
}
