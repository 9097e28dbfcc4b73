namespace LoraDsl.Recipes;

/// <summary>What training reports back to a recipe run.</summary>
public sealed record TrainingSummary(int OptimizerSteps, double FinalTrainingLoss, double? ValidationLoss, string OutputDirectory);
