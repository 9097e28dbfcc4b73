using LoraDsl.Models;
using TorchSharp;
using TorchSharp.Modules;

namespace LoraDsl.Training;

/// <summary>AdamW over a model's trainable parameters, as Hugging Face's Trainer builds it: biases and norm weights are not decayed.</summary>
public static class AdamWOptimizer
{
    public static AdamW Create(PretrainedModel model, TrainingOptions options)
    {
        var named = TrainableParameters.Named(model);
        if (named.Count == 0) TrainableParameters.Of(model);
        var decayed = named.Where(p => !IsDecayExempt(p.Name, p.Parameter)).Select(p => p.Parameter).ToList();
        var exempt = named.Where(p => IsDecayExempt(p.Name, p.Parameter)).Select(p => p.Parameter).ToList();
        var groups = new List<AdamW.ParamGroup>(2);
        // TorchSharp's AdamW defaults weight_decay to 0, so it is always passed explicitly.
        if (decayed.Count > 0) groups.Add(new AdamW.ParamGroup(decayed, options.LearningRate, options.Beta1, options.Beta2, options.Epsilon, options.WeightDecay, false, false));
        if (exempt.Count > 0) groups.Add(new AdamW.ParamGroup(exempt, options.LearningRate, options.Beta1, options.Beta2, options.Epsilon, 0.0, false, false));
        return torch.optim.AdamW(groups, options.LearningRate, options.Beta1, options.Beta2, options.Epsilon, options.WeightDecay);
    }

    /// <summary>Sets every group's learning rate (the schedule's value for the coming step).</summary>
    public static void SetLearningRate(AdamW optimizer, double learningRate)
    {
        foreach (var group in optimizer.ParamGroups) group.LearningRate = learningRate;
    }

    /// <summary>Biases and the weights of normalisation layers (LayerNorm, RMSNorm, GPT-2's ln_*) get no weight decay.</summary>
    public static bool IsDecayExempt(string name, Parameter parameter)
    {
        var parts = name.Split('.');
        if (parts[^1] == "bias") return true;
        if (parameter.dim() != 1 || parts.Length < 2) return false;
        var module = parts[^2];
        return module.Contains("norm", StringComparison.OrdinalIgnoreCase) || module.StartsWith("ln", StringComparison.Ordinal);
    }
}
