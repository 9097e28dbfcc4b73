using LoraDsl.Data;
using LoraDsl.Models;
using TorchSharp;
using static TorchSharp.torch;

namespace LoraDsl.Training;

/// <summary>Cross-entropy for each head: shifted with ignore_index -100 for language models, plain for classifiers.</summary>
public static class TrainingLoss
{
    /// <summary>Mean loss over the trained positions (LM) or examples (classification).</summary>
    public static Tensor Compute(Tensor logits, Tensor labels, ModelTask task) => Compute(logits, labels, task, nn.Reduction.Mean);

    /// <summary>Summed loss and the number of terms in it, for exact averages over a whole validation set.</summary>
    public static (Tensor Sum, long Count) ComputeSum(Tensor logits, Tensor labels, ModelTask task)
    {
        var sum = Compute(logits, labels, task, nn.Reduction.Sum);
        if (task == ModelTask.SequenceClassification) return (sum, labels.shape[0]);
        using var shifted = labels[.., 1..];
        using var trained = shifted.ne(TokenizedExample.IgnoreIndex);
        using var count = trained.sum();
        return (sum, count.item<long>());
    }

    static Tensor Compute(Tensor logits, Tensor labels, ModelTask task, nn.Reduction reduction)
    {
        if (task == ModelTask.SequenceClassification)
        {
            if (logits.dim() != 2) throw new ArgumentException($"Classification logits must be [batch, labels], got [{string.Join(", ", logits.shape)}].");
            return nn.functional.cross_entropy(logits, labels, reduction: reduction);
        }
        if (logits.dim() != 3) throw new ArgumentException($"Language-model logits must be [batch, seq, vocab], got [{string.Join(", ", logits.shape)}].");
        using var scope = torch.NewDisposeScope();
        // Position t predicts token t+1; the last position predicts nothing. Shifting the labels (with an
        // ignored last target) instead of slicing the logits avoids copying [batch, seq, vocab] forward and backward.
        var vocab = logits.shape[2];
        var predictions = logits.reshape(-1, vocab);
        var targets = nn.functional.pad(labels[.., 1..], [0, 1], value: TokenizedExample.IgnoreIndex).reshape(-1);
        var loss = nn.functional.cross_entropy(predictions, targets, ignore_index: TokenizedExample.IgnoreIndex, reduction: reduction);
        return loss.MoveToOuterDisposeScope();
    }
}
