using TorchSharp.Modules;

namespace LoraDsl.Optimization;

/// <summary>
/// Parameters that share an optimiser setting. The learning rate is a multiple of the schedule's value
/// (as a LambdaLR scales each group's initial rate), so the loop sets lr·<see cref="LearningRateScale"/> every step.
/// </summary>
public sealed record ParameterGroup(string Name, IReadOnlyList<Parameter> Parameters, double LearningRateScale, double WeightDecay);
