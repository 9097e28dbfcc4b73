namespace LoraDsl.Training;

/// <summary>How a training run ended and what it produced.</summary>
public sealed record TrainingResult(
    TrainingStatus Status,
    string Message,
    int StartStep,
    int FinalStep,
    IReadOnlyList<StepMetrics> Steps,
    IReadOnlyList<EvaluationMetrics> Evaluations,
    EvaluationMetrics? BestEvaluation,
    string? LastCheckpoint,
    string? BestCheckpoint,
    string OutputDirectory)
{
    /// <summary>The training loss of each step this call ran, in order.</summary>
    public IReadOnlyList<double> Losses => [.. Steps.Select(s => s.Loss)];
}
