using LoraDsl.Models;
using LoraDsl.Training;
using TorchSharp;
using TorchSharp.Modules;

namespace LoraDsl.Optimization;

/// <summary>
/// LoRA+'s AdamW parameter groups (PEFT's four), the optimiser made from them, and each group's per-step learning
/// rate: with LoRA+ these replace <see cref="AdamWOptimizer.Create"/> and <see cref="AdamWOptimizer.SetLearningRate"/>.
/// </summary>
public static class OptimizerParameterGroups
{
    /// <summary>
    /// PEFT's <c>create_loraplus_optimizer</c>: LoRA on embeddings at the embedding rate; <c>lora_B</c> and every
    /// 1-D parameter (biases, DoRA magnitudes) at ratio·lr, decayed unless a bias or norm weight; the rest (A,
    /// AdaLoRA's E is 2-D [r, 1] and stays here too, full heads) at lr. <paramref name="weightDecay"/> is PEFT's
    /// <c>loraplus_weight_decay</c>.
    /// </summary>
    public static IReadOnlyList<ParameterGroup> LoraPlus(PretrainedModel model, LoraPlusOptions options, double learningRate, double weightDecay)
    {
        options.Validate();
        if (!(learningRate > 0)) throw new ArgumentException($"LoRA+ needs a positive learning rate, got {learningRate}.");
        List<Parameter> a = [], embedding = [], b = [], bNoDecay = [];
        foreach (var (name, p) in TrainableParameters.Named(model))
        {
            if (IsEmbeddingLora(name)) embedding.Add(p);
            else if (name.Contains("lora_B", StringComparison.Ordinal) || p.dim() == 1)
                (AdamWOptimizer.IsDecayExempt(name, p) ? bNoDecay : b).Add(p);
            else a.Add(p);
        }
        var embeddingLr = options.EmbeddingLearningRate ?? LoraPlusOptions.DefaultEmbeddingLearningRate;
        return NonEmpty(
            new ParameterGroup("A", a, 1, weightDecay),
            new ParameterGroup("embedding", embedding, embeddingLr / learningRate, weightDecay),
            new ParameterGroup("B", b, options.Ratio, weightDecay),
            new ParameterGroup("B_no_decay", bNoDecay, options.Ratio, 0));
    }

    /// <summary>An AdamW over <paramref name="groups"/> with the options' betas and epsilon, at lr·scale per group.</summary>
    public static AdamW CreateAdamW(IReadOnlyList<ParameterGroup> groups, TrainingOptions options)
    {
        if (groups.Count == 0) throw new ArgumentException("The optimiser has no trainable parameters: attach adapters (or unfreeze modules) before training.");
        var lr = options.LearningRate;
        // TorchSharp's AdamW defaults weight_decay to 0, so each group passes its own explicitly.
        var paramGroups = groups.Select(g => new AdamW.ParamGroup(g.Parameters, lr * g.LearningRateScale, options.Beta1, options.Beta2, options.Epsilon, g.WeightDecay, false, false));
        return torch.optim.AdamW(paramGroups, lr, options.Beta1, options.Beta2, options.Epsilon);
    }

    /// <summary>Sets each group's rate to <paramref name="learningRate"/> times its scale (call once per step, before <c>step()</c>).</summary>
    public static void SetLearningRate(AdamW optimizer, IReadOnlyList<ParameterGroup> groups, double learningRate)
    {
        var paramGroups = optimizer.ParamGroups.ToList();
        if (paramGroups.Count != groups.Count)
            throw new ArgumentException($"The optimiser has {paramGroups.Count} parameter groups, the plan {groups.Count}: it was not made from these groups.");
        for (var i = 0; i < groups.Count; i++) paramGroups[i].LearningRate = learningRate * groups[i].LearningRateScale;
    }

    /// <summary>PEFT names LoRA on an embedding lora_embedding_A / lora_embedding_B.</summary>
    static bool IsEmbeddingLora(string name) => name.Contains("lora_embedding_", StringComparison.Ordinal);

    static IReadOnlyList<ParameterGroup> NonEmpty(params ParameterGroup[] groups) => [.. groups.Where(g => g.Parameters.Count > 0)];
}
