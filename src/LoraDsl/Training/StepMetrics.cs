namespace LoraDsl.Training;

/// <summary>One optimiser step's numbers. <see cref="Step"/> counts finished steps (1 after the first).</summary>
public sealed record StepMetrics(
    int Step,
    int TotalSteps,
    int Epoch,
    double Loss,
    double LearningRate,
    double GradientNorm,
    double TokensPerSecond,
    TimeSpan Elapsed,
    TimeSpan Remaining);
