using TorchSharp;
using static TorchSharp.torch;

namespace LoraDsl.Data;

/// <summary>Pads examples to the longest in the batch and makes the step's tensors.</summary>
public static class BatchCollator
{
    /// <summary>The training examples at <paramref name="indices"/> as one batch on <paramref name="device"/>.</summary>
    public static Batch Collate(PreparedDataset data, IReadOnlyList<int> indices, Device device) =>
        Collate([.. indices.Select(i => data.Train[i])], data.Task, data.PadId, device);

    public static Batch Collate(IReadOnlyList<TokenizedExample> examples, DataTask task, int padId, Device? device = null)
    {
        if (examples.Count == 0) throw new ArgumentException("Cannot collate an empty batch.", nameof(examples));
        var length = examples.Max(e => e.InputIds.Length);
        var rows = examples.Count;
        var ids = new long[rows * length];
        var mask = new long[rows * length];
        var tokenLabels = task == DataTask.Classification ? null : new long[rows * length];
        var tokens = 0;
        for (var r = 0; r < rows; r++)
        {
            var example = examples[r];
            for (var t = 0; t < length; t++)
            {
                var at = r * length + t;
                var real = t < example.InputIds.Length;
                ids[at] = real ? example.InputIds[t] : padId;
                mask[at] = real ? 1 : 0;
                if (tokenLabels is not null) tokenLabels[at] = real ? example.Labels[t] : TokenizedExample.IgnoreIndex;
            }
            tokens += example.InputIds.Length;
        }
        var target = device ?? CPU;
        var inputIds = torch.tensor(ids, [rows, length], ScalarType.Int64, target);
        var attentionMask = torch.tensor(mask, [rows, length], ScalarType.Int64, target);
        var labels = tokenLabels is not null
            ? torch.tensor(tokenLabels, [rows, length], ScalarType.Int64, target)
            : torch.tensor(examples.Select(e => (long)e.Labels[0]).ToArray(), [rows], ScalarType.Int64, target);
        return new Batch(inputIds, attentionMask, labels, tokens, rows);
    }
}
