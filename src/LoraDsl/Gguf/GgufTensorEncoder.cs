using System.Buffers.Binary;

namespace LoraDsl.Gguf;

/// <summary>Turns fp32 rows into the bytes of a ggml tensor type, rounding exactly as ggml's reference code does.</summary>
internal static class GgufTensorEncoder
{
    public const int Q8BlockSize = 32;
    const int Q8BlockBytes = 2 + Q8BlockSize;

    /// <summary>Bytes a tensor of <paramref name="count"/> values takes in <paramref name="type"/>.</summary>
    public static long ByteCount(GgufTensorType type, long count) => type switch
    {
        GgufTensorType.F32 => count * 4,
        GgufTensorType.F16 or GgufTensorType.BF16 => count * 2,
        GgufTensorType.Q8_0 => count / Q8BlockSize * Q8BlockBytes,
        _ => throw new ArgumentOutOfRangeException(nameof(type), type, null),
    };

    /// <summary>Whether rows of <paramref name="rowLength"/> values can be stored as <paramref name="type"/> (Q8_0 needs whole blocks).</summary>
    public static bool Fits(GgufTensorType type, long rowLength) => type != GgufTensorType.Q8_0 || rowLength % Q8BlockSize == 0;

    public static byte[] Encode(GgufTensorType type, ReadOnlySpan<float> values)
    {
        var bytes = new byte[ByteCount(type, values.Length)];
        switch (type)
        {
            case GgufTensorType.F32:
                for (var i = 0; i < values.Length; i++) BinaryPrimitives.WriteSingleLittleEndian(bytes.AsSpan(4 * i), values[i]);
                break;
            case GgufTensorType.F16:
                for (var i = 0; i < values.Length; i++) BinaryPrimitives.WriteHalfLittleEndian(bytes.AsSpan(2 * i), (Half)values[i]);
                break;
            case GgufTensorType.BF16:
                for (var i = 0; i < values.Length; i++) BinaryPrimitives.WriteUInt16LittleEndian(bytes.AsSpan(2 * i), ToBFloat16(values[i]));
                break;
            case GgufTensorType.Q8_0:
                if (values.Length % Q8BlockSize != 0) throw new ArgumentException($"Q8_0 needs a multiple of {Q8BlockSize} values, not {values.Length}.");
                for (var block = 0; block < values.Length / Q8BlockSize; block++)
                    QuantizeQ8Block(values.Slice(block * Q8BlockSize, Q8BlockSize), bytes.AsSpan(block * Q8BlockBytes, Q8BlockBytes));
                break;
            default:
                throw new ArgumentOutOfRangeException(nameof(type), type, null);
        }
        return bytes;
    }

    /// <summary>
    /// ggml's quantize_row_q8_0_ref: d = max|x| / 127, q = roundf(x / d) (half away from zero) with the fp32 d,
    /// then d stored as fp16.
    /// </summary>
    static void QuantizeQ8Block(ReadOnlySpan<float> x, Span<byte> block)
    {
        var amax = 0f;
        foreach (var v in x) amax = MathF.Max(amax, MathF.Abs(v));
        var d = amax / 127f;
        var id = d != 0 ? 1f / d : 0f;
        BinaryPrimitives.WriteHalfLittleEndian(block, (Half)d);
        for (var j = 0; j < Q8BlockSize; j++)
            block[2 + j] = unchecked((byte)(sbyte)MathF.Round(x[j] * id, MidpointRounding.AwayFromZero));
    }

    /// <summary>ggml_compute_fp32_to_bf16: round to nearest even, NaN kept quiet.</summary>
    static ushort ToBFloat16(float value)
    {
        var bits = BitConverter.SingleToUInt32Bits(value);
        if ((bits & 0x7fffffff) > 0x7f800000) return (ushort)((bits >> 16) | 64);
        return (ushort)((bits + (0x7fff + ((bits >> 16) & 1))) >> 16);
    }
}
