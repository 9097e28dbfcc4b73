namespace LoraDsl.Training;

/// <summary>Validation results at a step: loss always; perplexity for language models; accuracy and per-class scores for classification.</summary>
public sealed record EvaluationMetrics(
    int Step,
    double Loss,
    double? Perplexity,
    double? Accuracy,
    IReadOnlyList<ClassMetrics> Classes);
