namespace LoraDsl.Distributed;

/// <summary>
/// The micro-batches of one optimizer step that one process runs: the step's global micro-batches split into contiguous
/// runs by rank, the first <c>floor(n/P)</c>-ish to process 0. Process r of P runs global micro-batches
/// [floor(r·n/P), floor((r+1)·n/P)), so which examples form a step depends only on the global batch.
/// </summary>
public readonly record struct MicroBatchShard(int Start, int Count)
{
    /// <summary>The share of <paramref name="rank"/> among <paramref name="size"/> processes of <paramref name="globalCount"/> micro-batches.</summary>
    public static MicroBatchShard Of(int globalCount, int rank, int size)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(globalCount);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(size);
        ArgumentOutOfRangeException.ThrowIfNegative(rank);
        ArgumentOutOfRangeException.ThrowIfGreaterThanOrEqual(rank, size);
        var start = (int)((long)rank * globalCount / size);
        var end = (int)((long)(rank + 1) * globalCount / size);
        return new(start, end - start);
    }

    /// <summary>This process's share of a step of <paramref name="globalCount"/> micro-batches.</summary>
    public static MicroBatchShard Of(int globalCount, ProcessGroup group) => Of(globalCount, group.Rank, group.Size);

    /// <summary>The global index of the shard's <paramref name="local"/>-th micro-batch.</summary>
    public int Global(int local) => Start + local;
}
