namespace Benchmark;

/// <summary>The CPU's model name and the flags that decide the bf16 path (AMX tiles, AVX-512-BF16), from /proc/cpuinfo.</summary>
public static class CpuInfo
{
    static readonly string[] Interesting = ["amx_bf16", "amx_tile", "amx_int8", "avx512_bf16", "avx512f", "avx512_vnni", "avx2", "fma"];

    public static string Describe()
    {
        const string Path = "/proc/cpuinfo";
        if (!File.Exists(Path)) return "unknown CPU (no /proc/cpuinfo)";
        var lines = File.ReadLines(Path).Take(64).ToList();
        var model = lines.FirstOrDefault(l => l.StartsWith("model name", StringComparison.Ordinal))?.Split(':', 2)[1].Trim() ?? "unknown";
        var flags = (lines.FirstOrDefault(l => l.StartsWith("flags", StringComparison.Ordinal))?.Split(':', 2)[1] ?? "")
            .Split(' ', StringSplitOptions.RemoveEmptyEntries).ToHashSet();
        var present = Interesting.Where(flags.Contains).ToList();
        var missing = Interesting.Where(f => !flags.Contains(f)).ToList();
        return $"{model}; flags: {string.Join(" ", present)}{(missing.Count > 0 ? $" (absent: {string.Join(" ", missing)})" : "")}";
    }

    /// <summary>
    /// True when libtorch runs bf16 matmuls through oneDNN: its check wants AVX-512 BW/VL/DQ (or AMX). Without them every
    /// bf16 matmul falls back to ATen's reference GEMM (fp32 arithmetic per element), several times slower than fp32 MKL.
    /// </summary>
    public static bool NativeBf16Matmul => Has("amx_bf16") || (Has("avx512bw") && Has("avx512vl") && Has("avx512dq"));

    public static bool Has(string flag) =>
        File.Exists("/proc/cpuinfo") && File.ReadLines("/proc/cpuinfo").Take(64)
            .Any(l => l.StartsWith("flags", StringComparison.Ordinal) && l.Split(' ').Contains(flag));
}
