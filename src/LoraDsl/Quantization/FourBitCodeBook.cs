namespace LoraDsl.Quantization;

/// <summary>The 16 values a 4-bit code stands for (times the block's absmax), exactly bitsandbytes' <c>get_4bit_type</c>.</summary>
static class FourBitCodeBook
{
    // bitsandbytes' get_4bit_type("nf4") (create_normal_map(offset=0.9677083, use_extra_value=True)), already in [-1, 1].
    static readonly float[] Nf4 =
    [
        -1.0f, -0.6961928009986877f, -0.5250730514526367f, -0.39491748809814453f,
        -0.28444138169288635f, -0.18477343022823334f, -0.09105003625154495f, 0.0f,
        0.07958029955625534f, 0.16093020141124725f, 0.24611230194568634f, 0.33791524171829224f,
        0.44070982933044434f, 0.5626170039176941f, 0.7229568362236023f, 1.0f,
    ];

    // get_4bit_type("fp4"): listed in bit-pattern order (sign in the top bit), divided by the largest magnitude, 12.
    static readonly float[] Fp4 = Normalized([0f, 0.0625f, 8f, 12f, 4f, 6f, 2f, 3f, -0f, -0.0625f, -8f, -12f, -4f, -6f, -2f, -3f]);

    /// <summary>Value of code i, for i in 0..15.</summary>
    public static float[] Values(FourBitDataType type) => (type == FourBitDataType.Nf4 ? Nf4 : Fp4).ToArray();

    /// <summary>bitsandbytes' name: "nf4" or "fp4" (the suffix of <c>quant_state.bitsandbytes__nf4</c>).</summary>
    public static string Name(FourBitDataType type) => type == FourBitDataType.Nf4 ? "nf4" : "fp4";

    public static FourBitDataType? TryParse(string name) => name switch
    {
        "nf4" => FourBitDataType.Nf4,
        "fp4" => FourBitDataType.Fp4,
        _ => null,
    };

    static float[] Normalized(float[] values)
    {
        var max = values.Max(MathF.Abs);
        return values.Select(v => v / max).ToArray();
    }
}
