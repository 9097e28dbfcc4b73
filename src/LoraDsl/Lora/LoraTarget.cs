namespace LoraDsl.Lora;

/// <summary>
/// A concrete module path to adapt, optionally only on some of its output rows: one range
/// (<see cref="Slice"/>) or several (<see cref="Slices"/>, e.g. GPT-2 c_attn's Query and Value thirds).
/// </summary>
public sealed record LoraTarget(string Path, OutputSlice? Slice = null)
{
    public LoraTarget(string path, IReadOnlyList<OutputSlice> slices) : this(path) => Slices = slices;

    /// <summary>Several output ranges; when set, <see cref="Slice"/> is null.</summary>
    public IReadOnlyList<OutputSlice>? Slices { get; init; }

    /// <summary>The ranges as one list (empty = every output row).</summary>
    public IReadOnlyList<OutputSlice> Ranges => Slices ?? (Slice is { } s ? [s] : []);

    // Value equality over the ranges themselves, not the list instance; one range given either way is the same target.
    public bool Equals(LoraTarget? other) => other is not null && Path == other.Path && Ranges.SequenceEqual(other.Ranges);

    public override int GetHashCode() => HashCode.Combine(Path, Ranges.Count, Ranges.Count > 0 ? Ranges[0] : default);

    public static implicit operator LoraTarget(string path) => new(path);
}
