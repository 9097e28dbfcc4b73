using static TorchSharp.torch;

namespace LoraDsl.Lora;

/// <summary>
/// What distinguishes one LoRA flavour from another (PEFT's variants.py idea): DoRA, AdaLoRA, ...
/// plug in here instead of flags inside <see cref="LoraLinear"/>. Tensors are fp32 unless <see cref="RunsInComputeDtype"/>; weights are [out, in].
/// </summary>
public interface ILoraVariant
{
    /// <summary>Short name for messages ("lora", "dora").</summary>
    string Name { get; }

    /// <summary>
    /// True when forward may run in a bf16/fp16 base's dtype (the adapter's fp32 weights cast per
    /// call, gradients still reaching them in fp32); false keeps the branch in fp32.
    /// </summary>
    bool RunsInComputeDtype => false;

    /// True when <see cref="Merge"/> adds exactly s·BA (<see cref="LoraAdapter.DeltaWeight"/>) whatever the weight,
    /// so a merged adapter can be taken out of a forward by subtracting s·B(Ax). False for DoRA.
    /// </summary>
    bool MergesAdditively => false;

    /// <summary>Called once after A and B are initialised; may register extra parameters on the adapter.</summary>
    void Initialize(LoraAdapter adapter, LoraBaseLayer baseLayer);

    /// <summary>
    /// The amount to add to the base output rows the adapter covers. <paramref name="input"/> is fp32 (or the
    /// compute dtype, see <see cref="RunsInComputeDtype"/>) and not yet dropped out; <paramref name="baseOutput"/> is the base layer's output in that dtype, all rows, bias included.
    /// </summary>
    Tensor Forward(LoraAdapter adapter, LoraBaseLayer baseLayer, Tensor input, Tensor baseOutput);

    /// <summary>
    /// <paramref name="sum"/> (the output so far, all rows) plus this adapter's <see cref="Forward"/>
    /// placed in its rows. A variant may override it to fuse the addition into its last matmul.
    /// </summary>
    Tensor AddTo(Tensor sum, LoraAdapter adapter, LoraBaseLayer baseLayer, Tensor input, Tensor baseOutput) =>
        AddForward(this, sum, adapter, baseLayer, input, baseOutput);

    /// <summary>The general <see cref="AddTo"/>: <see cref="Forward"/>, padded to all rows, added to <paramref name="sum"/>.</summary>
    static Tensor AddForward(ILoraVariant variant, Tensor sum, LoraAdapter adapter, LoraBaseLayer baseLayer, Tensor input, Tensor baseOutput)
    {
        using var rows = variant.Forward(adapter, baseLayer, input, baseOutput);
        using var padded = adapter.PadOutputs(rows);
        return sum + padded;
    }

    /// <summary>The merged weight [out, in] from the unmerged one.</summary>
    Tensor Merge(LoraAdapter adapter, Tensor weight);

    /// <summary>The unmerged weight [out, in] from the merged one (inverse of <see cref="Merge"/>).</summary>
    Tensor Unmerge(LoraAdapter adapter, Tensor mergedWeight);
}
