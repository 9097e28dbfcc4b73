using LoraDsl.Data;
using TorchSharp;
using static TorchSharp.torch;

namespace LoraDsl.Training;

/// <summary>
/// Exact resume on CUDA: TorchSharp 0.107 cannot read or restore a CUDA generator's state, so at the start of every
/// optimizer step the CUDA generators are reseeded from (training seed, global step). Dropout masks and NEFTune noise
/// drawn on the device then depend only on the seed and the step, and a resumed run needs no saved CUDA state.
/// On the CPU nothing is reseeded: the CPU generator's state travels in the checkpoint (rng_state.bin).
/// </summary>
internal static class StepRandomSeed
{
    // Distinct from the data shuffles' streams (epoch numbers, the split stream), which share the training seed.
    internal const long DeviceStream = 1L << 40;

    /// <summary>Reseeds the CUDA generators for <paramref name="globalStep"/> (0-based, the step about to run) when <paramref name="device"/> is CUDA.</summary>
    public static void Apply(Device device, long seed, int globalStep) => Apply(device, seed, globalStep, cuda.manual_seed_all);

    /// <summary>Calls <paramref name="seedDevice"/> with the step's seed when <paramref name="device"/> is a CUDA device, and not otherwise.</summary>
    internal static void Apply(Device device, long seed, int globalStep, Action<long> seedDevice)
    {
        if (device.type != DeviceType.CUDA) return;
        seedDevice(Of(seed, globalStep));
    }

    /// <summary>
    /// Seeds every generator (CPU and CUDA) for global micro-batch <paramref name="microBatch"/> of step <paramref name="globalStep"/>:
    /// dropout masks and NEFTune noise then depend on which examples are trained, not on which process trains them,
    /// so P processes with accumulation k draw what one process with accumulation P·k draws.
    /// </summary>
    public static void ApplyMicroBatch(long seed, int globalStep, int microBatch) => torch.manual_seed(OfMicroBatch(seed, globalStep, microBatch));

    /// <summary>The seed of global micro-batch <paramref name="microBatch"/> (0-based within the step): SplitMix64 on the step's device seed.</summary>
    internal static long OfMicroBatch(long seed, int globalStep, int microBatch)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(microBatch);
        // manual_seed takes any 64-bit value; the mix keeps neighbouring micro-batches' streams unrelated.
        return unchecked((long)SplitMix64.For(Of(seed, globalStep), microBatch).NextUInt64() & long.MaxValue);
    }

    /// <summary>The device seed of step <paramref name="globalStep"/>: SplitMix64's first output for (seed, stream 2^40 + step).</summary>
    internal static long Of(long seed, int globalStep)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(globalStep);
        return unchecked((long)SplitMix64.For(seed, DeviceStream + globalStep).NextUInt64());
    }
}
