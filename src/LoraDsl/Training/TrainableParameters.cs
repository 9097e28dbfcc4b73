using LoraDsl.Models;
using TorchSharp.Modules;

namespace LoraDsl.Training;

/// <summary>The parameters training updates: requires_grad, each once (GPT-2's tied lm_head and wte are one tensor), in model order.</summary>
public static class TrainableParameters
{
    public static IReadOnlyList<Parameter> Of(PretrainedModel model)
    {
        var trainable = Named(model).Select(p => p.Parameter).ToList();
        if (trainable.Count == 0)
            throw new ArgumentException($"Model '{model.GetName()}' has no parameter with requires_grad: attach adapters (or unfreeze modules) before training.");
        return trainable;
    }

    /// <summary>The same parameters with their state-dict names.</summary>
    public static IReadOnlyList<(string Name, Parameter Parameter)> Named(PretrainedModel model) =>
        [.. DistinctParameters.Of(model).Where(p => p.Parameter.requires_grad)];
}
