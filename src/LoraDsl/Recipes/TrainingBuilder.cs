using LoraDsl.Training;

namespace LoraDsl.Recipes;

/// <summary>The <c>r.Training(t => ...)</c> part of a recipe.</summary>
public sealed class TrainingBuilder
{
    internal TrainingOptions Options { get; private set; }

    internal TrainingBuilder(TrainingOptions options) => Options = options;

    public TrainingBuilder LearningRate(double rate) => Set(Options with { LearningRate = rate });

    public TrainingBuilder WeightDecay(double decay) => Set(Options with { WeightDecay = decay });

    public TrainingBuilder Epochs(int epochs) => Set(Options with { Epochs = epochs });

    public TrainingBuilder MaxSteps(int steps) => Set(Options with { MaxSteps = steps });

    public TrainingBuilder BatchSize(int size) => Set(Options with { BatchSize = size });

    public TrainingBuilder GradientAccumulation(int steps) => Set(Options with { GradientAccumulationSteps = steps });

    public TrainingBuilder WarmupSteps(int steps) => Set(Options with { WarmupSteps = steps });

    public TrainingBuilder Decay(LearningRateDecay decay) => Set(Options with { Decay = decay });

    public TrainingBuilder MaxGradNorm(double? norm) => Set(Options with { MaxGradNorm = norm });

    public TrainingBuilder EvalEvery(int steps) => Set(Options with { EvalEvery = steps });

    public TrainingBuilder Seed(int seed) => Set(Options with { Seed = seed });

    public TrainingBuilder OutputDirectory(string path) => Set(Options with { OutputDirectory = path });

    private TrainingBuilder Set(TrainingOptions options)
    {
        Options = options;
        return this;
    }
}
