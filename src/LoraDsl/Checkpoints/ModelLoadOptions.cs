using LoraDsl.Quantization;
using static TorchSharp.torch;

namespace LoraDsl.Checkpoints;

/// <summary>How <see cref="ModelLoader"/> builds a model: compute dtype, device, classification labels, 4-bit quantisation.</summary>
public sealed record ModelLoadOptions
{
    /// <summary>Float32 (default), BFloat16 or Float16 (GPU only in practice: fp16 matmul on CPU is ~400× slower).</summary>
    public ScalarType ComputeDtype { get; init; } = ScalarType.Float32;

    /// <summary>"auto", "cpu", "cuda" or "cuda:N"; null means <see cref="Native.TorchDevice"/>'s default.</summary>
    public string? Device { get; init; } = "cpu";

    /// <summary>Labels of a classification head; overrides config.json's num_labels.</summary>
    public int? NumLabels { get; init; }

    /// <summary>Throw when the checkpoint holds tensors the model does not use (default: report them).</summary>
    public bool RejectUnexpectedTensors { get; init; }

    /// <summary>
    /// Quantise the Linear/Conv1D layers to 4 bits while loading (transformers' load_in_4bit); null keeps them dense.
    /// A folder already saved in 4 bits loads as such either way; then only this record's ComputeDtype is used.
    /// </summary>
    public QuantizationOptions? Quantization { get; init; }
}
