using static TorchSharp.torch;

namespace LoraDsl.Data;

/// <summary>One step's tensors; created per step and disposed by whoever collated it.</summary>
public sealed class Batch : IDisposable
{
    public Batch(Tensor inputIds, Tensor attentionMask, Tensor labels, int tokenCount, int size)
    {
        InputIds = inputIds;
        AttentionMask = attentionMask;
        Labels = labels;
        TokenCount = tokenCount;
        Size = size;
    }

    /// <summary>int64 [batch, seq], right-padded with the pad id.</summary>
    public Tensor InputIds { get; }

    /// <summary>int64 [batch, seq]: 1 real token, 0 padding.</summary>
    public Tensor AttentionMask { get; }

    /// <summary>int64 [batch, seq] (-100 on prompt and padding) for language models, [batch] class indices for classification.</summary>
    public Tensor Labels { get; }

    /// <summary>Real (non-padding) input tokens, for throughput.</summary>
    public int TokenCount { get; }

    public int Size { get; }

    /// <summary>Packed rows: each token's example (1, 2, …; 0 on padding), int64 [batch, seq]; null when no row is packed.</summary>
    public Tensor? PackedSegments { get; init; }

    /// <summary>Packed rows: positions restarting at 0 for each example, int64 [batch, seq]; null when no row is packed.</summary>
    public Tensor? PositionIds { get; init; }

    /// <summary>The model inputs of this batch (borrowed tensors: the batch still owns them).</summary>
    public Models.ModelInputs Inputs() =>
        new(InputIds) { AttentionMask = AttentionMask, PackedSegments = PackedSegments, PositionIds = PositionIds };

    public void Dispose()
    {
        InputIds.Dispose();
        AttentionMask.Dispose();
        Labels.Dispose();
        PackedSegments?.Dispose();
        PositionIds?.Dispose();
    }
}
