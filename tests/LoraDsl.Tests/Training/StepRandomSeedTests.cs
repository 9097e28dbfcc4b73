using LoraDsl.Training;
using TorchSharp;
using Xunit;
using static TorchSharp.torch;

namespace LoraDsl.Tests.Training;

/// <summary>The per-step CUDA reseed that makes resume exact on a GPU: a fixed function of (seed, step), applied only to CUDA devices.</summary>
[Collection(TorchRandomCollection.Name)]
public class StepRandomSeedTests
{
    /// <summary>SplitMix64 written out from its definition (Steele, Lea and Flood 2014), independent of the runtime's copy.</summary>
    static ulong SplitMix64First(long seed, long stream)
    {
        const ulong Gamma = 0x9E3779B97F4A7C15UL;
        static ulong Mix(ulong z)
        {
            z = unchecked((z ^ (z >> 30)) * 0xBF58476D1CE4E5B9UL);
            z = unchecked((z ^ (z >> 27)) * 0x94D049BB133111EBUL);
            return z ^ (z >> 31);
        }
        var state = Mix(unchecked((ulong)seed * Gamma + (ulong)stream + 1));
        return Mix(unchecked(state + Gamma));
    }

    [Theory]
    [InlineData(42L, 0)]
    [InlineData(42L, 1)]
    [InlineData(3L, 59)]
    [InlineData(-7L, 123456)]
    [InlineData(long.MaxValue, int.MaxValue)]
    public void The_step_seed_is_splitmix64_of_seed_and_step(long seed, int step) =>
        Assert.Equal(unchecked((long)SplitMix64First(seed, (1L << 40) + step)), StepRandomSeed.Of(seed, step));

    [Fact]
    public void Step_seeds_are_pinned_and_distinct_across_steps_and_seeds()
    {
        // Pinned: a change of the mix would silently change every CUDA run's dropout masks.
        Assert.Equal(unchecked((long)SplitMix64First(42, 1L << 40)), StepRandomSeed.Of(42, 0));
        var seeds = Enumerable.Range(0, 10_000).Select(step => StepRandomSeed.Of(42, step)).ToList();
        Assert.Equal(seeds.Count, seeds.Distinct().Count());
        Assert.NotEqual(StepRandomSeed.Of(42, 5), StepRandomSeed.Of(43, 5));
        Assert.Equal(StepRandomSeed.Of(42, 5), StepRandomSeed.Of(42, 5));
        Assert.Throws<ArgumentOutOfRangeException>(() => StepRandomSeed.Of(42, -1));
    }

    [Fact]
    public void Cuda_devices_are_reseeded_every_step_and_the_cpu_never()
    {
        var seeded = new List<long>();
        foreach (var device in new[] { new Device(DeviceType.CUDA, 0), new Device(DeviceType.CUDA, 1) })
            StepRandomSeed.Apply(device, 42, 7, seeded.Add);
        Assert.Equal([StepRandomSeed.Of(42, 7), StepRandomSeed.Of(42, 7)], seeded);

        seeded.Clear();
        StepRandomSeed.Apply(CPU, 42, 7, seeded.Add);
        StepRandomSeed.Apply(new Device(DeviceType.META), 42, 7, seeded.Add);
        Assert.Empty(seeded);
        // The public entry on the CPU leaves the CPU generator as it was: CPU runs are unchanged by the hook.
        manual_seed(5);
        using var expected = rand(4);
        manual_seed(5);
        StepRandomSeed.Apply(CPU, 42, 7);
        using var actual = rand(4);
        Assert.Equal(expected.data<float>().ToArray(), actual.data<float>().ToArray());
    }
}
