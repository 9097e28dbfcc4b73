namespace LoraDsl.Dsl;

/// <summary>A range of a module's output features, [Offset, Offset + Length).</summary>
public sealed record OutputSlice(long Offset, long Length);
