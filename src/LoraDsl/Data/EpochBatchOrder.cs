namespace LoraDsl.Data;

/// <summary>
/// Which examples form each batch of an epoch: a seeded permutation per epoch, so a resumed run
/// can rebuild the order from (seed, epoch) and skip to the batch where it stopped.
/// </summary>
public sealed class EpochBatchOrder
{
    public EpochBatchOrder(int exampleCount, int batchSize, long seed, bool shuffle = true)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(batchSize);
        ExampleCount = exampleCount;
        BatchSize = batchSize;
        Seed = seed;
        Shuffle = shuffle;
    }

    public int ExampleCount { get; }
    public int BatchSize { get; }
    public long Seed { get; }
    public bool Shuffle { get; }

    /// <summary>Batches per epoch; the last one may be smaller.</summary>
    public int BatchesPerEpoch => (ExampleCount + BatchSize - 1) / BatchSize;

    public IReadOnlyList<int[]> Batches(int epoch)
    {
        var order = Enumerable.Range(0, ExampleCount).ToArray();
        if (Shuffle) SplitMix64.For(Seed, epoch).Shuffle(order);
        return [.. order.Chunk(BatchSize)];
    }
}
