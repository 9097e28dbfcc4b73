namespace LoraDsl.Lora;

/// <summary>
/// A concrete module path to adapt, optionally only on some of its output rows (<see cref="Rows"/>, e.g. GPT-2 c_attn's
/// Query and Value thirds, or the key rows of Phi-3's qkv_proj); the injector checks them against the module as <see cref="OutputRows"/>.
/// </summary>
public sealed record LoraTarget
{
    public LoraTarget(string path, IReadOnlyList<OutputSlice>? rows = null)
    {
        Path = path;
        Rows = rows is { Count: > 0 } ? rows : null;
    }

    public string Path { get; }

    /// <summary>The output ranges the adapter covers; null = every output row.</summary>
    public IReadOnlyList<OutputSlice>? Rows { get; }

    // Value equality over the ranges themselves, not the list instance.
    public bool Equals(LoraTarget? other) => other is not null && Path == other.Path && (Rows ?? []).SequenceEqual(other.Rows ?? []);

    public override int GetHashCode() => HashCode.Combine(Path, Rows?.Count ?? 0, Rows is { Count: > 0 } r ? r[0] : default);

    public static implicit operator LoraTarget(string path) => new(path);
}
