using System.Buffers.Binary;
using System.Text;
using LoraDsl.Gguf;
using LoraDsl.Tests.TestCheckpoints;
using Xunit;

namespace LoraDsl.Tests.Gguf;

/// <summary>The GGUF v3 layout (ggml docs/gguf.md) read back byte by byte, and ggml's reference rounding for Q8_0 and BF16.</summary>
public sealed class GgufWriterTests
{
    [Fact]
    public void Header_metadata_tensor_infos_and_aligned_data_follow_the_spec()
    {
        var path = Path.Combine(TinyCheckpoints.NewFolder("gguf-writer"), "t.gguf");
        var writer = new GgufWriter();
        writer.Add("general.architecture", "llama");
        writer.Add("x.count", 7u);
        writer.Add("x.eps", 0.5f);
        writer.Add("x.flag", true);
        writer.Add("x.names", ["a", "bc"]);
        writer.Add("x.ids", [3, -4]);
        writer.AddTensor("w", [2, 3], GgufTensorType.F32, () => [1, 2, 3, 4, 5, 6]);
        writer.AddTensor("v", [5], GgufTensorType.F16, () => [1, -2, 0.5f, 0, 65504]);
        writer.Write(path);

        var bytes = File.ReadAllBytes(path);
        var at = 0;
        uint U32() { var v = BinaryPrimitives.ReadUInt32LittleEndian(bytes.AsSpan(at)); at += 4; return v; }
        ulong U64() { var v = BinaryPrimitives.ReadUInt64LittleEndian(bytes.AsSpan(at)); at += 8; return v; }
        string Str() { var n = (int)U64(); var s = Encoding.UTF8.GetString(bytes, at, n); at += n; return s; }
        Assert.Equal("GGUF", Encoding.ASCII.GetString(bytes, 0, 4));
        at = 4;
        Assert.Equal(3u, U32());
        Assert.Equal(2ul, U64());
        Assert.Equal(7ul, U64()); // six added + general.alignment
        var seen = new Dictionary<string, string>();
        for (var i = 0; i < 7; i++)
        {
            var key = Str();
            var type = U32();
            seen[key] = type switch
            {
                4 => U32().ToString(),
                6 => BitConverter.UInt32BitsToSingle(U32()).ToString(System.Globalization.CultureInfo.InvariantCulture),
                7 => bytes[at++].ToString(),
                8 => Str(),
                9 => ReadArray(),
                _ => throw new InvalidOperationException($"type {type}"),
            };
        }
        string ReadArray()
        {
            var element = U32();
            var count = (int)U64();
            return string.Join(",", Enumerable.Range(0, count).Select(_ => element == 8 ? Str() : ((int)U32()).ToString()));
        }
        Assert.Equal("llama", seen["general.architecture"]);
        Assert.Equal("7", seen["x.count"]);
        Assert.Equal("0.5", seen["x.eps"]);
        Assert.Equal("1", seen["x.flag"]);
        Assert.Equal("a,bc", seen["x.names"]);
        Assert.Equal("3,-4", seen["x.ids"]);
        Assert.Equal("32", seen["general.alignment"]);

        // Tensor infos: dims innermost first, type, offset relative to the aligned data start.
        Assert.Equal("w", Str());
        Assert.Equal(2u, U32());
        Assert.Equal(3ul, U64());
        Assert.Equal(2ul, U64());
        Assert.Equal(0u, U32());
        Assert.Equal(0ul, U64());
        Assert.Equal("v", Str());
        Assert.Equal(1u, U32());
        Assert.Equal(5ul, U64());
        Assert.Equal(1u, U32());
        Assert.Equal(32ul, U64()); // 24 bytes of w, padded to 32
        var data = (at + 31) / 32 * 32;
        Assert.All(bytes[at..data], b => Assert.Equal(0, b));
        Assert.Equal(4f, BinaryPrimitives.ReadSingleLittleEndian(bytes.AsSpan(data + 12)));
        Assert.Equal((Half)65504, BinaryPrimitives.ReadHalfLittleEndian(bytes.AsSpan(data + 32 + 8)));
        Assert.Equal(data + 64, bytes.Length);
    }

    [Fact]
    public void Q8_0_blocks_hold_an_fp16_scale_of_max_over_127_and_values_rounded_half_away_from_zero()
    {
        // x = (j - 16) · 0.25: max |x| = 4, d = 4/127, q = round((j - 16) · 127/16).
        var x = Enumerable.Range(0, 32).Select(j => (j - 16) * 0.25f).ToArray();
        var block = GgufTensorEncoder.Encode(GgufTensorType.Q8_0, x);
        Assert.Equal(34, block.Length);
        Assert.Equal((Half)(4f / 127f), BinaryPrimitives.ReadHalfLittleEndian(block));
        for (var j = 0; j < 32; j++)
        {
            var exact = (j - 16) * 127.0 / 16.0;
            var expected = (sbyte)(Math.Sign(exact) * Math.Floor(Math.Abs(exact) + 0.5));
            Assert.Equal(expected, (sbyte)block[2 + j]);
        }
        Assert.Equal(-127, (sbyte)block[2]);
        // An all-zero block has scale 0 and zero codes.
        Assert.All(GgufTensorEncoder.Encode(GgufTensorType.Q8_0, new float[32]), b => Assert.Equal(0, b));
    }

    [Fact]
    public void Bf16_rounds_to_nearest_even()
    {
        ushort Bf16(uint bits) => BinaryPrimitives.ReadUInt16LittleEndian(GgufTensorEncoder.Encode(GgufTensorType.BF16, [BitConverter.UInt32BitsToSingle(bits)]));
        Assert.Equal(0x3F80, Bf16(0x3F800000)); // 1.0
        Assert.Equal(0x3F80, Bf16(0x3F808000)); // tie, even stays
        Assert.Equal(0x3F82, Bf16(0x3F818000)); // tie, odd rounds up
        Assert.Equal(0x3F81, Bf16(0x3F808001)); // above the tie
    }

    [Fact]
    public void A_tensor_that_is_not_whole_q8_0_blocks_is_refused_with_its_name()
    {
        var writer = new GgufWriter();
        var error = Assert.Throws<ArgumentException>(() => writer.AddTensor("blk.0.attn_q.weight", [4, 48], GgufTensorType.Q8_0, () => new float[192]));
        Assert.Contains("blk.0.attn_q.weight", error.Message);
    }
}
