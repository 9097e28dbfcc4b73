using LoraDsl.Lora;

namespace LoraDsl.Dsl;

/// <summary>
/// Which of a fused module's <see cref="Count"/> equal output slices an adapter covers (GPT-2
/// c_attn Query = part 0 of 3). Sizes come from the module at run time (or its host's <see cref="Modules.IFusedOutputs"/>), not from the declaration.
/// </summary>
public sealed record FusedPart(int Count, IReadOnlyList<int> Parts)
{
    /// <summary>The slices for a module with <paramref name="outFeatures"/> outputs.</summary>
    public IReadOnlyList<OutputSlice> Slices(long outFeatures)
    {
        if (outFeatures % Count != 0)
            throw new ArgumentException($"A fused module of {outFeatures} output features cannot be split into {Count} equal parts.", nameof(outFeatures));
        var length = outFeatures / Count;
        return [.. Parts.Select(p => new OutputSlice(p * length, length))];
    }

    /// <summary>The slices when the parts have the given sizes (<paramref name="partRows"/>, one per part, in order).</summary>
    public IReadOnlyList<OutputSlice> Slices(IReadOnlyList<long> partRows)
    {
        if (partRows.Count != Count)
            throw new ArgumentException($"A fused module of {Count} parts was given {partRows.Count} part sizes.", nameof(partRows));
        var offsets = new long[Count];
        for (var i = 1; i < Count; i++) offsets[i] = offsets[i - 1] + partRows[i - 1];
        return [.. Parts.Select(p => new OutputSlice(offsets[p], partRows[p]))];
    }

    public bool Equals(FusedPart? other) => other is not null && Count == other.Count && Parts.SequenceEqual(other.Parts);

    public override int GetHashCode() => HashCode.Combine(Count, Parts.Count, Parts.Count > 0 ? Parts[0] : -1);

    public override string ToString() => $"parts [{string.Join(", ", Parts)}] of {Count}";
}
