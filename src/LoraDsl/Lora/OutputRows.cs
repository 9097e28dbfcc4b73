using static TorchSharp.torch;

namespace LoraDsl.Lora;

/// <summary>
/// The output rows an adapter writes to: sorted, non-overlapping ranges of a module's output, e.g.
/// the Query and Value thirds of GPT-2's fused <c>c_attn</c>. B holds only these rows, in order.
/// </summary>
public sealed class OutputRows : IEquatable<OutputRows>
{
    OutputRows(IReadOnlyList<OutputSlice> slices, long outFeatures)
    {
        Slices = slices;
        OutFeatures = outFeatures;
        Count = slices.Sum(s => s.Length);
    }

    public IReadOnlyList<OutputSlice> Slices { get; }

    /// <summary>The module's full output width.</summary>
    public long OutFeatures { get; }

    /// <summary>Rows covered (B's first dimension).</summary>
    public long Count { get; }

    /// <summary>Sorts, joins adjacent ranges, and checks them against <paramref name="outFeatures"/>; <paramref name="owner"/> names the module in errors.</summary>
    public static OutputRows Of(IEnumerable<OutputSlice> slices, long outFeatures, string owner)
    {
        var ordered = slices.OrderBy(s => s.Offset).ToList();
        if (ordered.Count == 0) throw new ArgumentException($"Output rows of '{owner}': no range given.");
        var joined = new List<OutputSlice>();
        foreach (var s in ordered)
        {
            if (s.Offset < 0 || s.Length <= 0 || s.End > outFeatures)
                throw new ArgumentException($"Output slice {s} of '{owner}' does not fit in {outFeatures} output rows.");
            if (joined.Count > 0 && s.Offset < joined[^1].End)
                throw new ArgumentException($"Output slices {joined[^1]} and {s} of '{owner}' overlap.");
            if (joined.Count > 0 && s.Offset == joined[^1].End) joined[^1] = new OutputSlice(joined[^1].Offset, s.End - joined[^1].Offset);
            else joined.Add(s);
        }
        return new OutputRows(joined, outFeatures);
    }

    /// <summary>Places <paramref name="rows"/> (these rows along <paramref name="dim"/>) into the full output width, zeros elsewhere.</summary>
    public Tensor Scatter(Tensor rows, int dim)
    {
        if (Slices.Count == 1)
        {
            // One range: a single pad (the common case, e.g. GPT-2's Query third).
            var s = Slices[0];
            long[] padding = dim == -1 || dim == rows.dim() - 1 ? [s.Offset, OutFeatures - s.End] : [0, 0, s.Offset, OutFeatures - s.End];
            return nn.functional.pad(rows, padding);
        }
        using var scope = NewDisposeScope();
        var pieces = new List<Tensor>();
        long cursor = 0, taken = 0;
        foreach (var s in Slices)
        {
            if (s.Offset > cursor) pieces.Add(Zeros(rows, dim, s.Offset - cursor));
            pieces.Add(rows.narrow(dim, taken, s.Length));
            taken += s.Length;
            cursor = s.End;
        }
        if (cursor < OutFeatures) pieces.Add(Zeros(rows, dim, OutFeatures - cursor));
        return cat(pieces, dim).MoveToOuterDisposeScope();
    }

    /// <summary>These rows of <paramref name="full"/> along <paramref name="dim"/>, in order.</summary>
    public Tensor Gather(Tensor full, int dim)
    {
        using var scope = NewDisposeScope();
        return cat(Slices.Select(s => full.narrow(dim, s.Offset, s.Length)).ToList(), dim).MoveToOuterDisposeScope();
    }

    /// <summary>True when <paramref name="full"/> [out, ...] is zero on every row outside these ranges.</summary>
    public bool ZeroOutside(Tensor full)
    {
        if (full.shape[0] != OutFeatures) return false;
        using var scope = NewDisposeScope();
        using var mask = ones(OutFeatures, dtype: ScalarType.Bool, device: full.device);
        foreach (var s in Slices) mask.narrow(0, s.Offset, s.Length).fill_(false);
        return Native.HostMemory.Item<long>(full[mask].count_nonzero()) == 0;
    }

    /// <summary>[[offset, length], ...], as the adapter metadata stores it.</summary>
    public long[][] ToPairs() => [.. Slices.Select(s => new[] { s.Offset, s.Length })];

    static Tensor Zeros(Tensor like, int dim, long length)
    {
        var shape = like.shape.ToArray();
        shape[dim < 0 ? shape.Length + dim : dim] = length;
        return zeros(shape, like.dtype, like.device);
    }

    public bool Equals(OutputRows? other) => other is not null && OutFeatures == other.OutFeatures && Slices.SequenceEqual(other.Slices);

    public override bool Equals(object? obj) => Equals(obj as OutputRows);

    public override int GetHashCode() => HashCode.Combine(OutFeatures, Slices.Count, Slices[0]);

    public override string ToString() => string.Join(" + ", Slices);
}
