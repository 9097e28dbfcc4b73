using LoraDsl.Lora;
using static TorchSharp.torch;

namespace LoraDsl.Adapters;

/// <summary>
/// One module's LoRA weights for <see cref="ModelAdapters.Add"/>: A [r, in] and B [out, r] (PEFT's layout,
/// all output rows), with the options (rank r, alpha) they are scaled by. The tensors are copied.
/// </summary>
public sealed record AdapterModuleWeights(string Path, LoraOptions Options, Tensor A, Tensor B);
