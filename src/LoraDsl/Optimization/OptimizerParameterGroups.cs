using LoraDsl.Models;
using LoraDsl.Training;
using TorchSharp;
using TorchSharp.Modules;

namespace LoraDsl.Optimization;

/// <summary>
/// The AdamW parameter groups of a training run: plain (decayed / decay-exempt) or LoRA+ (PEFT's four groups),
/// the optimiser made from them, and the per-step learning rate of each group.
/// </summary>
public static class OptimizerParameterGroups
{
    /// <summary>Hugging Face Trainer's split: weight decay on everything but biases and norm weights; one learning rate.</summary>
    public static IReadOnlyList<ParameterGroup> Standard(PretrainedModel model, double weightDecay)
    {
        var named = Trainable(model);
        return NonEmpty(
            new ParameterGroup("decay", [.. named.Where(p => !Trainer.IsDecayExempt(p.Name, p.Parameter)).Select(p => p.Parameter)], 1, weightDecay),
            new ParameterGroup("no_decay", [.. named.Where(p => Trainer.IsDecayExempt(p.Name, p.Parameter)).Select(p => p.Parameter)], 1, 0));
    }

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
        foreach (var (name, p) in Trainable(model))
        {
            if (IsEmbeddingLora(name)) embedding.Add(p);
            else if (name.Contains("lora_B", StringComparison.Ordinal) || p.dim() == 1)
                (Trainer.IsDecayExempt(name, p) ? bNoDecay : b).Add(p);
            else a.Add(p);
        }
        var embeddingLr = options.EmbeddingLearningRate ?? LoraPlusOptions.DefaultEmbeddingLearningRate;
        return NonEmpty(
            new ParameterGroup("A", a, 1, weightDecay),
            new ParameterGroup("embedding", embedding, embeddingLr / learningRate, weightDecay),
            new ParameterGroup("B", b, options.Ratio, weightDecay),
            new ParameterGroup("B_no_decay", bNoDecay, options.Ratio, 0));
    }

    /// <summary>An AdamW over <paramref name="groups"/> at the schedule's rate <paramref name="learningRate"/>.</summary>
    public static AdamW CreateAdamW(IReadOnlyList<ParameterGroup> groups, double learningRate, double beta1, double beta2, double epsilon)
    {
        if (groups.Count == 0) throw new ArgumentException("The optimiser has no trainable parameters: attach adapters (or unfreeze modules) before training.");
        // TorchSharp's AdamW defaults weight_decay to 0, so each group passes its own explicitly.
        var paramGroups = groups.Select(g => new AdamW.ParamGroup(g.Parameters, learningRate * g.LearningRateScale, beta1, beta2, epsilon, g.WeightDecay, false, false));
        return torch.optim.AdamW(paramGroups, learningRate, beta1, beta2, epsilon);
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

    static List<(string Name, Parameter Parameter)> Trainable(PretrainedModel model) =>
        [.. DistinctParameters.Of(model).Where(p => p.Parameter.requires_grad)];

    static IReadOnlyList<ParameterGroup> NonEmpty(params ParameterGroup[] groups) => [.. groups.Where(g => g.Parameters.Count > 0)];
}
