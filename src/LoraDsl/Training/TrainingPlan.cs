namespace LoraDsl.Training;

/// <summary>What a run will do, known before its first step.</summary>
public sealed record TrainingPlan(
    int TotalSteps,
    int StepsPerEpoch,
    int Epochs,
    int WarmupSteps,
    int StartStep,
    long TrainableParameters,
    long TotalParameters,
    int TrainExamples,
    int ValidationExamples,
    string OutputDirectory);
