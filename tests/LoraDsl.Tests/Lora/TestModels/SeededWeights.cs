using TorchSharp;
using static TorchSharp.torch;

namespace LoraDsl.Tests.Lora.TestModels;

static class SeededWeights
{
    /// <summary>
    /// Overwrites every parameter from a private generator: the global seed is shared by tests running
    /// in parallel, so two models built "with the same seed" could otherwise differ.
    /// </summary>
    public static void Fill(nn.Module model, int seed)
    {
        using var _ = no_grad();
        var generator = new Generator((ulong)seed);
        foreach (var p in model.parameters())
        {
            using var values = randn(p.shape, generator: generator);
            using var scaled = values.mul(0.3);
            p.copy_(scaled);
        }
    }
}
