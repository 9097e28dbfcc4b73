namespace LoraDsl.Gguf;

/// <summary>The ggml tensor types LoraDsl writes; the values are ggml's <c>ggml_type</c> numbers stored in the file.</summary>
public enum GgufTensorType
{
    F32 = 0,
    F16 = 1,
    /// <summary>Blocks of 32 values: an fp16 scale and 32 signed bytes (ggml's quantize_row_q8_0 reference).</summary>
    Q8_0 = 8,
    BF16 = 30,
}
