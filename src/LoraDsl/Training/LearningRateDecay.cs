namespace LoraDsl.Training;

/// <summary>The learning-rate curve after warmup.</summary>
public enum LearningRateDecay
{
    Linear,
    Cosine,
    Constant,
}
