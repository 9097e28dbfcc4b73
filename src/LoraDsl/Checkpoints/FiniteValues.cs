using LoraDsl.Native;
using static TorchSharp.torch;

namespace LoraDsl.Checkpoints;

/// <summary>Finds NaN/Inf in tensors read from files, so a corrupt value is an error naming the tensor instead of outputs that drift or turn NaN.</summary>
internal static class FiniteValues
{
    /// <summary>How many values of a floating-point <paramref name="tensor"/> are NaN or infinite (0 for other dtypes).</summary>
    public static long CountNonFinite(Tensor tensor)
    {
        if (!tensor.is_floating_point()) return 0;
        using var scope = NewDisposeScope();
        return HostMemory.Item<long>(isfinite(tensor).logical_not().sum());
    }

    /// <summary>Throws a <see cref="CheckpointFormatException"/> naming <paramref name="file"/> and <paramref name="name"/> when the tensor holds NaN or Inf.</summary>
    public static void Require(Tensor tensor, string name, string file)
    {
        var bad = CountNonFinite(tensor);
        if (bad > 0)
            throw new CheckpointFormatException($"Tensor '{name}' in '{file}' holds {bad} NaN or infinite value{(bad == 1 ? "" : "s")} of {tensor.NumberOfElements}: the file is corrupt or was saved from a run that diverged.");
    }
}
