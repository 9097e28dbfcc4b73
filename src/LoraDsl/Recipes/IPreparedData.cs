namespace LoraDsl.Recipes;

/// <summary>Tokenized training and validation examples, as the engine's data pipeline prepared them.</summary>
public interface IPreparedData
{
    int TrainingExamples { get; }
    int ValidationExamples { get; }
}
