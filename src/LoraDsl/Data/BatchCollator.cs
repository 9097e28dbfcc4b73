using TorchSharp;
using static TorchSharp.torch;

namespace LoraDsl.Data;

/// <summary>Pads examples to the longest in the batch and makes the step's tensors.</summary>
public static class BatchCollator
{
    /// <summary>The training examples at <paramref name="indices"/> as one batch on <paramref name="device"/>.</summary>
    public static Batch Collate(PreparedDataset data, IReadOnlyList<int> indices, Device device) =>
        Collate([.. indices.Select(i => data.Train[i])], data.Task, data.PadId, device);

    /// <summary>
    /// The divisor of an optimizer step's summed loss: the trained tokens (labels other than -100 after the shift)
    /// of its <paramref name="count"/> micro-batches from <paramref name="first"/> on, or their examples for a
    /// classifier; at least 1, so a step with nothing to train contributes zero instead of NaN.
    /// Counted from the examples before any forward, as torchtune and transformers (#34191) count a step's tokens.
    /// </summary>
    public static int StepLossTerms(PreparedDataset data, IReadOnlyList<int[]> batches, int first, int count)
    {
        var terms = 0;
        for (var b = first; b < first + count; b++)
            foreach (var index in batches[b])
                terms += data.Task == DataTask.Classification ? 1 : TrainedTokens(data.Train[index]);
        return Math.Max(terms, 1);
    }

    /// <summary>Positions whose next token is trained: the labels after the first that are not -100.</summary>
    static int TrainedTokens(TokenizedExample example)
    {
        var trained = 0;
        for (var t = 1; t < example.Labels.Length; t++)
            if (example.Labels[t] != TokenizedExample.IgnoreIndex) trained++;
        return trained;
    }

    public static Batch Collate(IReadOnlyList<TokenizedExample> examples, DataTask task, int padId, Device? device = null)
    {
        if (examples.Count == 0) throw new ArgumentException("Cannot collate an empty batch.", nameof(examples));
        var length = examples.Max(e => e.InputIds.Length);
        var rows = examples.Count;
        var ids = new long[rows * length];
        var mask = new long[rows * length];
        var tokenLabels = task == DataTask.Classification ? null : new long[rows * length];
        var packed = examples.Any(e => e.Segments is not null);
        var segments = packed ? new long[rows * length] : null;
        var positions = packed ? new long[rows * length] : null;
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
                if (segments is null || !real) continue;
                segments[at] = example.Segments?[t] ?? 1;
                // Positions restart where the example changes.
                positions![at] = t > 0 && segments[at] == segments[at - 1] ? positions[at - 1] + 1 : 0;
            }
            tokens += example.InputIds.Length;
        }
        var target = device ?? CPU;
        var inputIds = torch.tensor(ids, [rows, length], ScalarType.Int64, target);
        var attentionMask = torch.tensor(mask, [rows, length], ScalarType.Int64, target);
        var labels = tokenLabels is not null
            ? torch.tensor(tokenLabels, [rows, length], ScalarType.Int64, target)
            : torch.tensor(examples.Select(e => (long)e.Labels[0]).ToArray(), [rows], ScalarType.Int64, target);
        return new Batch(inputIds, attentionMask, labels, tokens, rows)
        {
            PackedSegments = segments is null ? null : torch.tensor(segments, [rows, length], ScalarType.Int64, target),
            PositionIds = positions is null ? null : torch.tensor(positions, [rows, length], ScalarType.Int64, target),
        };
    }
}
