namespace LoraDsl.Data;

/// <summary>
/// A seeded PRNG whose whole state is one number, so shuffles are the same on every runtime and a
/// checkpoint can store it (System.Random's algorithm is not a documented contract).
/// </summary>
internal sealed class SplitMix64
{
    public SplitMix64(ulong state) => State = state;

    /// <summary>A generator for one purpose (e.g. one epoch) derived from a seed, independent of others.</summary>
    public static SplitMix64 For(long seed, long stream) =>
        new(Mix(unchecked((ulong)seed * 0x9E3779B97F4A7C15UL + (ulong)stream + 1)));

    public ulong State { get; private set; }

    public ulong NextUInt64()
    {
        State = unchecked(State + 0x9E3779B97F4A7C15UL);
        return Mix(State);
    }

    /// <summary>Uniform in [0, exclusiveMax) without modulo bias.</summary>
    public int NextInt(int exclusiveMax)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(exclusiveMax);
        var bound = (ulong)exclusiveMax;
        var limit = ulong.MaxValue - ulong.MaxValue % bound;
        ulong value;
        do value = NextUInt64(); while (value >= limit);
        return (int)(value % bound);
    }

    /// <summary>Fisher–Yates shuffle in place.</summary>
    public void Shuffle<T>(IList<T> items)
    {
        for (var i = items.Count - 1; i > 0; i--)
        {
            var j = NextInt(i + 1);
            (items[i], items[j]) = (items[j], items[i]);
        }
    }

    static ulong Mix(ulong z)
    {
        z = unchecked((z ^ (z >> 30)) * 0xBF58476D1CE4E5B9UL);
        z = unchecked((z ^ (z >> 27)) * 0x94D049BB133111EBUL);
        return z ^ (z >> 31);
    }
}
