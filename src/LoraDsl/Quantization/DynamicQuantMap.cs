namespace LoraDsl.Quantization;

/// <summary>
/// bitsandbytes' <c>create_dynamic_map(signed=True, max_exponent_bits=7, total_bits=8)</c>: the 256 sorted values of the
/// 8-bit dynamic type that double quantisation stores absmax values in. Computed in fp32 as torch computes it.
/// </summary>
static class DynamicQuantMap
{
    const int TotalBits = 8;
    const int MaxExponentBits = 7;

    static readonly float[] Signed = Create();

    /// <summary>A copy of the signed map, ascending, from -0.99297 to 1.</summary>
    public static float[] SignedValues() => (float[])Signed.Clone();

    static float[] Create()
    {
        var data = new List<float>();
        const int nonSignBits = TotalBits - 1;
        var additionalItems = (1 << (nonSignBits - MaxExponentBits)) - 1;
        for (var i = 0; i < MaxExponentBits; i++)
        {
            var fractionItems = (1 << (i + nonSignBits - MaxExponentBits)) + 1;
            AddMeans(data, Linspace(0.1f, 1f, fractionItems), Math.Pow(10, -(MaxExponentBits - 1) + i));
        }
        if (additionalItems > 0)
            AddMeans(data, Linspace(0.1f, 1f, additionalItems + 1), Math.Pow(10, -(MaxExponentBits - 1) + MaxExponentBits - 1));
        data.Add(0f);
        data.Add(1f);
        if (data.Count != 1 << TotalBits)
            throw new InvalidOperationException($"The dynamic map has {data.Count} values, not {1 << TotalBits}.");
        data.Sort();
        return [.. data];
    }

    // ±scale·(b[k] + b[k+1]) / 2 in fp32: torch multiplies an fp32 tensor by a Python float in fp32.
    static void AddMeans(List<float> data, float[] boundaries, double scale)
    {
        var s = (float)scale;
        var means = new float[boundaries.Length - 1];
        for (var k = 0; k < means.Length; k++) means[k] = (boundaries[k] + boundaries[k + 1]) / 2f;
        foreach (var m in means) data.Add(s * m);
        foreach (var m in means) data.Add(-s * m);
    }

    // torch.linspace on the CPU in fp32: the first half steps up from start, the second half steps down from end.
    static float[] Linspace(float start, float end, int steps)
    {
        var result = new float[steps];
        if (steps == 1) { result[0] = start; return result; }
        var step = (end - start) / (steps - 1);
        var halfway = steps / 2;
        for (var i = 0; i < steps; i++)
            result[i] = i < halfway ? start + step * i : end - step * (steps - i - 1);
        return result;
    }
}
