namespace LoraDsl.Recipes;

/// <summary>The outcome of <c>Run</c>: how many adapters were placed and what training reported.</summary>
public sealed record RecipeReport(string Recipe, int AdaptersPlaced, int TrainingExamples, TrainingSummary Training);
