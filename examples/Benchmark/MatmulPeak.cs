using System.Diagnostics;
using static TorchSharp.torch;

namespace Benchmark;

/// <summary>
/// The machine's matmul rate through libtorch (2048³, best of several) in fp32 (MKL) and bf16 (oneDNN), the yardsticks
/// for model FLOP/s. On a shared machine one measurement can land in a slow spell: the command measures before and after and keeps the best.
/// </summary>
public static class MatmulPeak
{
    public static double Measure(ScalarType dtype = ScalarType.Float32, int n = 2048, int repeats = 10)
    {
        using var a = randn(n, n).to(dtype);
        using var b = randn(n, n).to(dtype);
        var best = double.MaxValue;
        for (var i = 0; i < repeats + 1; i++)
        {
            var clock = Stopwatch.StartNew();
            using (var c = a.matmul(b)) { }
            if (i > 0) best = Math.Min(best, clock.Elapsed.TotalSeconds);
        }
        return 2.0 * n * n * n / best;
    }
}
