using System.Diagnostics;
using static TorchSharp.torch;

namespace Benchmark;

/// <summary>
/// The machine's matmul rate through libtorch (2048³, best of several) in fp32 (MKL) and bf16 (oneDNN), the yardsticks
/// for model FLOP/s. On a shared machine one measurement can land in a slow spell: the command measures before and after and keeps the best.
/// </summary>
public static class MatmulPeak
{
    /// <param name="upcast">bf16 operands multiplied in fp32 and rounded back, as LoraDsl runs bf16 products on a CPU without native bf16 matmuls.</param>
    public static double Measure(ScalarType dtype = ScalarType.Float32, int n = 2048, int repeats = 10, bool upcast = false)
    {
        using var a = randn(n, n).to(dtype);
        using var b = randn(n, n).to(dtype);
        var best = double.MaxValue;
        for (var i = 0; i < repeats + 1; i++)
        {
            var clock = Stopwatch.StartNew();
            if (upcast)
            {
                using var scope = NewDisposeScope();
                a.to(ScalarType.Float32).matmul(b.to(ScalarType.Float32)).to(dtype);
            }
            else using (var c = a.matmul(b)) { }
            if (i > 0) best = Math.Min(best, clock.Elapsed.TotalSeconds);
        }
        return 2.0 * n * n * n / best;
    }
}
