namespace LoraDsl.Gguf;

/// <summary>How a Hugging Face weight is rearranged on its way into llama.cpp's layout.</summary>
internal enum GgufTensorTransform
{
    None,
    /// <summary>GPT-2's Conv1D stores [in, out]; ggml wants [out, in].</summary>
    Transpose,
    /// <summary>LLaMA q rows reordered from the rotate-half pairing to llama.cpp's interleaved RoPE, per query head.</summary>
    PermuteQuery,
    /// <summary>The same for k rows, per key/value head.</summary>
    PermuteKey,
}
