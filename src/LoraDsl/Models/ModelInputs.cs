using LoraDsl.Generation;
using static TorchSharp.torch;

namespace LoraDsl.Models;

/// <summary>One forward call's inputs. Tensors are borrowed: the caller owns and disposes them.</summary>
public sealed class ModelInputs
{
    public ModelInputs(Tensor inputIds) => InputIds = inputIds;

    /// <summary>Token ids, int64 [batch, seq].</summary>
    public Tensor InputIds { get; }

    /// <summary>1 for real tokens, 0 for padding, [batch, seq]; null means all real.</summary>
    public Tensor? AttentionMask { get; init; }

    /// <summary>
    /// Packed rows: each token's example (1, 2, …; 0 on padding), [batch, seq]. Attention stays inside an example;
    /// null means one example per row.
    /// </summary>
    public Tensor? PackedSegments { get; init; }

    /// <summary>Position ids [batch, seq] given by the caller (restarting per packed example); null = computed from the mask.</summary>
    public Tensor? PositionIds { get; init; }

    /// <summary>BERT segment ids [batch, seq]; null means all zeros.</summary>
    public Tensor? TokenTypeIds { get; init; }

    /// <summary>Key/value cache for incremental decoding of causal models; null when not decoding.</summary>
    internal KvCache? Cache { get; init; }
}
