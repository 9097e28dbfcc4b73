using LoraDsl.Lora;
using LoraDsl.Training;

namespace LoraDsl.Recipes;

/// <summary>The outcome of a generated <c>Run</c>: the adapters placed, the validation before training and what training did.</summary>
public sealed record RecipeReport(
    string Recipe,
    IReadOnlyList<LoraTarget> Targets,
    int TrainingExamples,
    EvaluationMetrics? Before,
    TrainingResult Training,
    string? AdapterDirectory)
{
    public int AdaptersPlaced => Targets.Count;
}
