using LoraDsl.Lora;

namespace LoraDsl.Dsl;

/// <summary>
/// Which of a fused module's <see cref="Count"/> equal output slices an adapter covers (GPT-2
/// c_attn Query = part 0 of 3). Sizes come from the module at run time, not from the declaration.
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

    public bool Equals(FusedPart? other) => other is not null && Count == other.Count && Parts.SequenceEqual(other.Parts);

    public override int GetHashCode() => HashCode.Combine(Count, Parts.Count, Parts.Count > 0 ? Parts[0] : -1);

    public override string ToString() => $"parts [{string.Join(", ", Parts)}] of {Count}";
}
