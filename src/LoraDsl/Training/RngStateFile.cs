using System.Buffers.Binary;
using LoraDsl.Native;
using TorchSharp;
using static TorchSharp.torch;

namespace LoraDsl.Training;

/// <summary>
/// rng_state.bin: the bytes of torch's CPU generator state (libtorch's CPUGeneratorImplState, an mt19937).
/// libtorch aborts the process on a state it rejects, so every field it checks is checked here first.
/// </summary>
static class RngStateFile
{
    // Offsets in CPUGeneratorImplStateLegacy: the_initial_seed (u64), left (i32), seeded (i32), next (u64), state[624] (u64) …
    const int LeftOffset = 8, SeededOffset = 12, NextOffset = 16, MersenneStateN = 624;

    public static void Write(string path)
    {
        using var state = torch.get_rng_state();
        File.WriteAllBytes(path, HostMemory.ToArray<byte>(state));
    }

    /// <summary>Checks <paramref name="path"/> and makes it torch's CPU generator state.</summary>
    public static void Restore(string path)
    {
        var bytes = Read(path);
        using var state = torch.tensor(bytes, ScalarType.Byte);
        torch.set_rng_state(state);
    }

    /// <summary>The file's bytes, after the checks libtorch would otherwise fail with an abort.</summary>
    public static byte[] Read(string path)
    {
        if (!File.Exists(path)) throw new TrainingCheckpointException(path, "RNG state is missing.");
        var bytes = File.ReadAllBytes(path);
        long expected;
        using (var current = torch.get_rng_state()) expected = current.numel();
        if (bytes.Length != expected)
            throw new TrainingCheckpointException(path, $"RNG state has {bytes.Length} bytes; this libtorch's CPU generator state has {expected} (the file is truncated, corrupt or from another libtorch).");
        var left = BinaryPrimitives.ReadInt32LittleEndian(bytes.AsSpan(LeftOffset));
        var seeded = BinaryPrimitives.ReadInt32LittleEndian(bytes.AsSpan(SeededOffset));
        var next = (uint)BinaryPrimitives.ReadUInt64LittleEndian(bytes.AsSpan(NextOffset));
        if (seeded == 0 || left is <= 0 or > MersenneStateN || next > MersenneStateN)
            throw new TrainingCheckpointException(path, $"RNG state is not a valid mt19937 state (seeded {seeded}, left {left}, next {next}); the file is corrupt.");
        return bytes;
    }
}
