namespace LoraDsl.Training;

/// <summary>
/// How a model trains: the dtype its frozen base weights are stored and multiplied in. Trainable
/// tensors (LoRA A/B, DoRA magnitudes, modules_to_save, trained biases) stay fp32 master weights
/// in every mode, and norms, softmax and the loss run in fp32 (see docs/precision.md).
/// </summary>
public enum Precision
{
    /// <summary>Everything in fp32 ("fp32").</summary>
    Float32,

    /// <summary>Frozen base in bfloat16, matmuls and attention in bfloat16 ("bf16"): the fast path on CPUs with AMX or AVX-512-BF16.</summary>
    BFloat16,

    /// <summary>Frozen base in float16 ("fp16"): for GPUs; the CPU has no fp16 matmul kernels and refuses it.</summary>
    Float16,
}
