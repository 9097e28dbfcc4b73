namespace LoraDsl.Lora;

/// <summary>A concrete module path to adapt, optionally only on some of its output rows.</summary>
public sealed record LoraTarget(string Path, OutputSlice? Slice = null)
{
    public static implicit operator LoraTarget(string path) => new(path);
}
