namespace LoraDsl.Lora;

/// <summary>
/// The output rows [Offset, Offset + Length) an adapter writes to, e.g. the query third of GPT-2's
/// fused <c>c_attn</c>. Rows outside the slice keep the base output.
/// </summary>
public readonly record struct OutputSlice(long Offset, long Length)
{
    public long End => Offset + Length;

    public override string ToString() => $"[{Offset}, {End})";
}
