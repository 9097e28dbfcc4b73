namespace Benchmark;

/// <summary>One mode's figures, as a child process prints them (one JSON line).</summary>
public sealed record StepMeasurement
{
    public required string Implementation { get; init; }
    public required string Mode { get; init; }
    public double MedianStepSeconds { get; init; }
    public double TokensPerSecond { get; init; }
    public double PeakRssMb { get; init; }
    public double RssAfterLoadMb { get; init; }
    public long TrainableParameters { get; init; }
    public long TotalParameters { get; init; }
    public double FrozenWeightsMb { get; init; }
    public double GradientsMb { get; init; }
    public double OptimizerStateMb { get; init; }
    public double ActivationsMb { get; init; }
    public double StepFlops { get; init; }
    public double Loss { get; init; }
}
