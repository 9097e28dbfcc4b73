namespace Benchmark;

/// <summary>One mode's figures, as a child process prints them (one JSON line).</summary>
public sealed record StepMeasurement
{
    public required string Implementation { get; init; }
    public required string Mode { get; init; }
    /// <summary>The model folder's name (gpt2-small-random-12l, llama-125m-random, ...).</summary>
    public string Model { get; init; } = "";
    /// <summary>fp32, bf16 or nf4.</summary>
    public string Precision { get; init; } = "fp32";
    public bool Checkpointing { get; init; }
    public string Label => $"{Precision} {Mode}{(Checkpointing ? " +ckpt" : "")}";
    public double MedianStepSeconds { get; init; }
    /// <summary>Every timed step, in order (several rounds merged in the parent).</summary>
    public IReadOnlyList<double> StepSeconds { get; init; } = [];
    public double TokensPerSecond { get; init; }
    /// <summary>Medians of the step's parts: loss forward (with the chunked loss's own gradient work), backward, AdamW step + zero_grad.</summary>
    public double ForwardSeconds { get; init; }
    public double BackwardSeconds { get; init; }
    public double OptimizerSeconds { get; init; }
    public double PeakRssMb { get; init; }
    /// <summary>Peak RSS while loading (and quantising), before the peak was reset for the steps.</summary>
    public double LoadPeakRssMb { get; init; }
    public double RssAfterLoadMb { get; init; }
    public long TrainableParameters { get; init; }
    public long TotalParameters { get; init; }
    public double FrozenWeightsMb { get; init; }
    /// <summary>Bytes of the layers that were quantised, as stored (codes, absmax, nested absmax, maps) and as fp32 would store them.</summary>
    public double QuantizedLayerBytes { get; init; }
    public double QuantizedLayerFp32Bytes { get; init; }
    public double GradientsMb { get; init; }
    public double OptimizerStateMb { get; init; }
    public double ActivationsMb { get; init; }
    public double StepFlops { get; init; }
    public double Loss { get; init; }
    /// <summary>True for a row computed from another (full fine-tuning that does not fit in memory), not measured.</summary>
    public bool Computed { get; init; }

    public static double Median(IEnumerable<double> values)
    {
        var sorted = values.Order().ToList();
        if (sorted.Count == 0) throw new ArgumentException("No values.", nameof(values));
        var mid = sorted.Count / 2;
        return sorted.Count % 2 == 1 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2;
    }

    /// <summary>The same implementation and mode measured in several rounds: all steps' median, the highest peak RSS.</summary>
    public static StepMeasurement Merge(IReadOnlyList<StepMeasurement> rounds)
    {
        var steps = rounds.SelectMany(r => r.StepSeconds).ToList();
        var median = Median(steps);
        var tokensPerStep = rounds[0].TokensPerSecond * rounds[0].MedianStepSeconds;
        return rounds[0] with
        {
            StepSeconds = steps,
            MedianStepSeconds = median,
            TokensPerSecond = tokensPerStep / median,
            PeakRssMb = rounds.Max(r => r.PeakRssMb),
            ActivationsMb = rounds.Max(r => r.ActivationsMb),
        };
    }
}
