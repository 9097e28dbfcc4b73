namespace LoraDsl.Tests.Quantization;

/// <summary>
/// bitsandbytes' definitions written out independently of the implementation, in double precision and plain loops:
/// the NF4/FP4 tables (bitsandbytes/functional.py get_4bit_type), create_dynamic_map(signed=True), nearest-code search.
/// </summary>
static class BitsAndBytesReference
{
    public static readonly double[] Nf4 =
    [
        -1.0, -0.6961928009986877, -0.5250730514526367, -0.39491748809814453, -0.28444138169288635, -0.18477343022823334,
        -0.09105003625154495, 0.0, 0.07958029955625534, 0.16093020141124725, 0.24611230194568634, 0.33791524171829224,
        0.44070982933044434, 0.5626170039176941, 0.7229568362236023, 1.0,
    ];

    /// <summary>get_4bit_type("fp4"): bit patterns 0b0000..0b1111 (sign in bit 3) over the largest magnitude 12.</summary>
    public static readonly double[] Fp4 = new double[] { 0, 0.0625, 8, 12, 4, 6, 2, 3, -0.0, -0.0625, -8, -12, -4, -6, -2, -3 }.Select(v => v / 12).ToArray();

    /// <summary>create_dynamic_map(signed=True, max_exponent_bits=7, total_bits=8): for exponent i, 2^i fraction means of linspace(0.1, 1), ±10^(i-6)·mean, plus 0 and 1.</summary>
    public static double[] DynamicMap()
    {
        var data = new List<double> { 0, 1 };
        for (var i = 0; i < 7; i++)
        {
            var items = (1 << i) + 1;
            for (var k = 0; k < items - 1; k++)
            {
                var lo = 0.1 + 0.9 * k / (items - 1);
                var hi = 0.1 + 0.9 * (k + 1) / (items - 1);
                var mean = Math.Pow(10, i - 6) * (lo + hi) / 2;
                data.Add(mean);
                data.Add(-mean);
            }
        }
        data.Sort();
        return [.. data];
    }

    /// <summary>The index of the code nearest to <paramref name="x"/> (the lower one on a tie).</summary>
    public static int Nearest(double[] codes, double x)
    {
        var best = 0;
        for (var k = 1; k < codes.Length; k++)
            if (Math.Abs(codes[k] - x) < Math.Abs(codes[best] - x)) best = k;
        return best;
    }

    /// <summary>Half the largest gap between adjacent sorted codes: the worst rounding error for |x| ≤ 1.</summary>
    public static double HalfLargestGap(double[] codes)
    {
        var sorted = codes.Order().ToArray();
        var gap = 0.0;
        for (var k = 1; k < sorted.Length; k++) gap = Math.Max(gap, sorted[k] - sorted[k - 1]);
        return gap / 2;
    }

    /// <summary>The two 4-bit codes of each byte, high nibble first, cut to <paramref name="count"/>.</summary>
    public static int[] Unpack(byte[] packed, long count)
    {
        var codes = new int[packed.Length * 2];
        for (var i = 0; i < packed.Length; i++)
        {
            codes[2 * i] = packed[i] >> 4;
            codes[2 * i + 1] = packed[i] & 0xF;
        }
        return codes[..(int)count];
    }
}
