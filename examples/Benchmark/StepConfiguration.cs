namespace Benchmark;

/// <summary>One row of the table: how the base is stored and computed, what trains, and whether layers are recomputed.</summary>
public sealed record StepConfiguration(string Precision, string Mode, bool Checkpointing)
{
    /// <summary>The issue's table: fp32 LoRA, bf16 LoRA, NF4 QLoRA (bf16 compute), QLoRA + checkpointing, full fp32.</summary>
    public static IReadOnlyList<StepConfiguration> Table { get; } =
    [
        new("fp32", "lora", false),
        new("bf16", "lora", false),
        new("nf4", "lora", false),
        new("nf4", "lora", true),
        new("fp32", "full", false),
    ];

    public string Label => $"{Precision} {Mode}{(Checkpointing ? " +ckpt" : "")}";

    /// <summary>The table's rows the options leave in (every row when none is given; a row of its own when all three are).</summary>
    public static IReadOnlyList<StepConfiguration> Select(BenchmarkOptions o)
    {
        var rows = Table.Where(c => (o.Precision ?? c.Precision) == c.Precision && (o.Mode ?? c.Mode) == c.Mode && (o.Checkpointing ?? c.Checkpointing) == c.Checkpointing).ToList();
        if (rows.Count == 0) rows.Add(new StepConfiguration(o.Precision ?? "fp32", o.Mode ?? "lora", o.Checkpointing ?? false));
        return rows;
    }

    public string[] Arguments() => ["--precision", Precision, "--mode", Mode, Checkpointing ? "--checkpointing" : "--no-checkpointing"];
}
