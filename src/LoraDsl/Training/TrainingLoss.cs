using LoraDsl.Data;
using LoraDsl.Models;
using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace LoraDsl.Training;

/// <summary>Cross-entropy for each head: shifted with ignore_index -100 for language models, plain for classifiers.</summary>
public static class TrainingLoss
{
    /// <summary>
    /// The model's mean loss on one batch. A causal language model whose <c>lm_head</c> is a plain
    /// bias-free linear layer goes through <see cref="ChunkedLinearCrossEntropy"/> (no [tokens, vocab]
    /// logits tensor); any other head through its logits.
    /// </summary>
    public static Tensor Compute(PretrainedModel model, ModelInputs inputs, Tensor labels) =>
        Compute(model, inputs, labels, nn.Reduction.Mean).Loss;

    /// <summary>The model's mean loss on a collated batch.</summary>
    public static Tensor Compute(PretrainedModel model, Batch batch) =>
        Compute(model, batch.Inputs(), batch.Labels);

    /// <summary>The model's summed loss on a collated batch (over trained tokens, or examples for a classifier).</summary>
    public static Tensor ComputeSum(PretrainedModel model, Batch batch) =>
        Compute(model, batch.Inputs(), batch.Labels, nn.Reduction.Sum).Loss;

    /// <summary>The summed loss of a causal language model on one batch and the number of predicted tokens in it.</summary>
    public static (Tensor Sum, long Count) ComputeSum(PretrainedModel model, ModelInputs inputs, Tensor labels) =>
        Compute(model, inputs, labels, nn.Reduction.Sum);

    /// <summary>Mean loss over the trained positions (LM) or examples (classification).</summary>
    public static Tensor Compute(Tensor logits, Tensor labels, ModelTask task) => Compute(logits, labels, task, nn.Reduction.Mean);

    /// <summary>Summed loss and the number of terms in it, for exact averages over a whole validation set.</summary>
    public static (Tensor Sum, long Count) ComputeSum(Tensor logits, Tensor labels, ModelTask task) =>
        (Compute(logits, labels, task, nn.Reduction.Sum), TermCount(labels, task));

    /// <summary>
    /// The head the chunked loss can stand in for: a causal language model's <c>lm_head</c> that is still
    /// a plain <see cref="Linear"/> without bias (not wrapped by LoRA or modules_to_save); null otherwise.
    /// </summary>
    public static Linear? ChunkableHead(PretrainedModel model) =>
        model is ICausalLanguageModel { OutputHead: Linear { bias: null } head } && model.Task == ModelTask.CausalLanguageModeling ? head : null;

    static (Tensor Loss, long Count) Compute(PretrainedModel model, ModelInputs inputs, Tensor labels, nn.Reduction reduction)
    {
        if (ChunkableHead(model) is { } head)
        {
            using var hidden = ((ICausalLanguageModel)model).ForwardHidden(inputs);
            using var targets = ShiftedTargets(labels);
            return ChunkedLinearCrossEntropy.Compute(hidden, head.weight!, targets, reduction);
        }
        using var logits = model.Forward(inputs);
        return (Compute(logits, labels, model.Task, reduction), TermCount(labels, model.Task));
    }

    /// <summary>Examples (classification) or predicted tokens, the shifted labels that are not -100 (LM).</summary>
    static long TermCount(Tensor labels, ModelTask task)
    {
        if (task == ModelTask.SequenceClassification) return labels.shape[0];
        using var shifted = labels[.., 1..];
        using var trained = shifted.ne(TokenizedExample.IgnoreIndex);
        using var count = trained.sum();
        return Native.HostMemory.Item<long>(count);
    }

    /// <summary>Position t predicts token t+1; the last position predicts nothing (-100).</summary>
    static Tensor ShiftedTargets(Tensor labels) =>
        nn.functional.pad(labels[.., 1..], [0, 1], value: TokenizedExample.IgnoreIndex);

    static Tensor Compute(Tensor logits, Tensor labels, ModelTask task, nn.Reduction reduction)
    {
        // The loss runs in fp32 whatever the compute dtype, as under torch.autocast.
        if (logits.dtype != ScalarType.Float32)
        {
            using var fp32 = logits.to(ScalarType.Float32);
            return Compute(fp32, labels, task, reduction);
        }
        if (task == ModelTask.SequenceClassification)
        {
            if (logits.dim() != 2) throw new ArgumentException($"Classification logits must be [batch, labels], got [{string.Join(", ", logits.shape)}].");
            return nn.functional.cross_entropy(logits, labels, reduction: reduction);
        }
        if (logits.dim() != 3) throw new ArgumentException($"Language-model logits must be [batch, seq, vocab], got [{string.Join(", ", logits.shape)}].");
        using var scope = torch.NewDisposeScope();
        // Shifting the labels (with an ignored last target) instead of slicing the logits avoids copying
        // [batch, seq, vocab] forward and backward.
        var vocab = logits.shape[2];
        var predictions = logits.reshape(-1, vocab);
        var targets = ShiftedTargets(labels).reshape(-1);
        var loss = nn.functional.cross_entropy(predictions, targets, ignore_index: TokenizedExample.IgnoreIndex, reduction: reduction);
        return loss.MoveToOuterDisposeScope();
    }
}
