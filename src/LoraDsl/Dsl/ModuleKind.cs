namespace LoraDsl.Dsl;

/// <summary>The layer type behind a module path, which decides how an adapter wraps it.</summary>
public enum ModuleKind
{
    /// <summary>y = x Wᵀ + b, weight [out, in].</summary>
    Linear,

    /// <summary>GPT-2's Conv1D: y = x W + b, weight [in, out] (transposed Linear).</summary>
    Conv1D,

    /// <summary>A lookup table [vocab, hidden].</summary>
    Embedding,

    /// <summary>
    /// A normalisation layer's weight vector (Qwen3's q_norm, Gemma's norms): declared so typed handles and paths know
    /// it, never adapted (a rank-r update of a vector is the vector itself; train it with modules_to_save instead).
    /// </summary>
    Norm,
}
