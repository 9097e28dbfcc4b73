using static TorchSharp.torch;

namespace LoraDsl.Tests.Lora.TestModels;

static class Identical
{
    /// <summary>Same shape, dtype and every value bit for bit.</summary>
    public static bool Tensors(Tensor a, Tensor b)
    {
        if (a.dtype != b.dtype || !a.shape.SequenceEqual(b.shape)) return false;
        using var eq = a.eq(b);
        using var all = eq.all();
        return all.item<bool>();
    }
}
