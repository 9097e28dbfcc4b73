namespace LoraDsl.Distributed;

/// <summary>
/// Sums the values of micro-batches start..start+count-1 as a balanced tree split at the midpoint:
/// ((g0+g1)+(g2+g3)) for four. Float addition is not associative, but this order makes a process's sum over its
/// shard exactly a subtree of the one-process sum, so two processes with accumulation k (their two sums added once by
/// the allreduce) give the bits of one process with accumulation 2k. Leaves are produced in order, one at a time.
/// </summary>
internal static class MidpointTree
{
    public static T Sum<T>(int start, int count, Func<int, T> leaf, Func<T, T, T> add)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(count);
        if (count == 1) return leaf(start);
        var half = count / 2;
        var left = Sum(start, half, leaf, add);
        var right = Sum(start + half, count - half, leaf, add);
        return add(left, right);
    }
}
