namespace Benchmark;

/// <summary>The measured 2048³ matmul rates (FLOP/s) the model FLOP/s are compared with.</summary>
public sealed record MatmulPeaks(double Fp32, double Bf16)
{
    /// <summary>The peak of the dtype a row's matmuls run in.</summary>
    public double For(string precision) => precision == "fp32" ? Fp32 : Bf16;
}
