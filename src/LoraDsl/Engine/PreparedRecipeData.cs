using LoraDsl.Data;
using LoraDsl.Recipes;

namespace LoraDsl.Engine;

/// <summary>The engine's tokenized dataset, as a generated recipe sees it.</summary>
public sealed class PreparedRecipeData(PreparedDataset dataset) : IPreparedData
{
    public PreparedDataset Dataset { get; } = dataset;

    public int TrainingExamples => Dataset.Train.Count;

    public int ValidationExamples => Dataset.Validation.Count;
}
