using LoraDsl.Quantization;
using TorchSharp;
using Xunit;
using static TorchSharp.torch;
using static LoraDsl.Tests.Quantization.BitsAndBytesReference;

namespace LoraDsl.Tests.Quantization;

public class FourBitWeightTests
{
    static Tensor RandomWeight(long rows, long cols, int seed) => randn(rows, cols, generator: new Generator((ulong)seed));

    [Fact]
    public void Nf4_codes_and_absmax_of_a_known_tensor_match_bitsandbytes_definition()
    {
        // 3 rows × 50 = 150 values: two full blocks of 64 and a ragged block of 22 with its own absmax.
        using var w = RandomWeight(3, 50, 1);
        using var q = FourBitWeight.Quantize(w, FourBitDataType.Nf4, 64, doubleQuant: false);
        var values = w.data<float>().ToArray();
        var absmax = q.Absmax.data<float>().ToArray();
        Assert.Equal(3, absmax.Length);
        var codes = Unpack(q.Packed.data<byte>().ToArray(), values.Length);
        for (var block = 0; block < 3; block++)
        {
            var slice = values.Skip(block * 64).Take(64).ToArray();
            var expectedAbsmax = slice.Max(MathF.Abs);
            Assert.Equal(expectedAbsmax, absmax[block]);
            for (var j = 0; j < slice.Length; j++)
                Assert.Equal(Nearest(Nf4, slice[j] / (double)expectedAbsmax), codes[block * 64 + j]);
        }
        Assert.Equal(new long[] { 75, 1 }, q.Packed.shape);
        Assert.Equal(ScalarType.Byte, q.Packed.dtype);
    }

    [Fact]
    public void Fp4_codes_are_the_nearest_fp4_values_in_bit_pattern_order()
    {
        using var w = RandomWeight(2, 64, 2);
        using var q = FourBitWeight.Quantize(w, FourBitDataType.Fp4, 64, doubleQuant: false);
        var values = w.data<float>().ToArray();
        var absmax = q.Absmax.data<float>().ToArray();
        var codes = Unpack(q.Packed.data<byte>().ToArray(), values.Length);
        for (var i = 0; i < values.Length; i++)
        {
            var scaled = values[i] / (double)absmax[i / 64];
            // Nearest by value; +0 and -0 tie, bitsandbytes' order keeps pattern 0.
            Assert.Equal(Fp4[Nearest(Fp4, scaled)], Fp4[codes[i]], 12);
        }
    }

    [Fact]
    public void Two_codes_share_a_byte_with_the_first_in_the_high_nibble()
    {
        // absmax 1: 1 → code 15, -1 → 0, 0 → 7, 0.0796 → 8; an odd count pads the last low nibble with the code of 0.
        using var w = tensor(new float[] { 1f, -1f, 0f, 0.0796f, 0.5626f }).reshape(1, 5);
        using var q = FourBitWeight.Quantize(w, FourBitDataType.Nf4, 64, doubleQuant: false);
        Assert.Equal(new byte[] { 0xF0, 0x78, 0xD7 }, q.Packed.data<byte>().ToArray());
    }

    [Fact]
    public void Dynamic_map_and_double_quantised_absmax_match_the_definition()
    {
        using var w = RandomWeight(64, 600, 3); // 600 blocks of 64: three nested blocks of 256, the last ragged
        using var plain = FourBitWeight.Quantize(w, FourBitDataType.Nf4, 64, doubleQuant: false);
        using var nested = FourBitWeight.Quantize(w, FourBitDataType.Nf4, 64, doubleQuant: true);
        var map = DynamicMap();
        var stored = nested.NestedQuantMap!.data<float>().ToArray();
        Assert.Equal(256, stored.Length);
        for (var k = 0; k < 256; k++) Assert.Equal(map[k], stored[k], 1e-6);

        var absmax = plain.Absmax.data<float>().ToArray();
        var offset = absmax.Select(a => (double)a).Average();
        Assert.Equal(offset, nested.NestedOffset, 1e-5);
        var codes = nested.Absmax.data<byte>().ToArray();
        var scales = nested.NestedAbsmax!.data<float>().ToArray();
        Assert.Equal(3, scales.Length);
        using var rebuilt = nested.BlockAbsmax();
        var reconstructed = rebuilt.data<float>().ToArray();
        for (var i = 0; i < absmax.Length; i++)
        {
            var block = i / 256;
            var centred = absmax.Skip(block * 256).Take(256).Select(a => Math.Abs(a - offset)).Max();
            Assert.Equal(centred, scales[block], 1e-5);
            Assert.Equal(Nearest(map, (absmax[i] - offset) / scales[block]), codes[i]);
            Assert.Equal(map[codes[i]] * scales[block] + offset, reconstructed[i], 1e-5);
        }
    }

    [Fact]
    public void Dequantisation_error_per_block_is_within_half_the_largest_nf4_gap_times_absmax()
    {
        using var w = RandomWeight(40, 96, 4);
        using var q = FourBitWeight.Quantize(w, FourBitDataType.Nf4, 64, doubleQuant: false);
        using var back = q.Dequantize(ScalarType.Float32);
        var original = w.data<float>().ToArray();
        var decoded = back.data<float>().ToArray();
        var absmax = q.Absmax.data<float>().ToArray();
        var bound = HalfLargestGap(Nf4);
        for (var i = 0; i < original.Length; i++)
            Assert.True(Math.Abs(original[i] - decoded[i]) <= bound * absmax[i / 64] * (1 + 1e-6),
                $"element {i}: |{original[i]} - {decoded[i]}| exceeds {bound} × {absmax[i / 64]}");
    }

    [Fact]
    public void Dequantisation_in_chunks_equals_code_times_absmax_and_bf16_is_its_rounding()
    {
        // 1100 × 1024 spans two decode chunks of 2^20 values, the second partly filled.
        using var w = RandomWeight(1100, 1024, 5);
        using var q = FourBitWeight.Quantize(w, FourBitDataType.Nf4, 64, doubleQuant: true);
        using var absmaxTensor = q.BlockAbsmax();
        var absmax = absmaxTensor.data<float>().ToArray();
        var codes = Unpack(q.Packed.data<byte>().ToArray(), q.Count);
        var expected = new float[codes.Length];
        for (var i = 0; i < codes.Length; i++) expected[i] = (float)Nf4[codes[i]] * absmax[i / 64];
        using var fp32 = q.Dequantize(ScalarType.Float32);
        Assert.Equal(new long[] { 1100, 1024 }, fp32.shape);
        Assert.Equal(expected, fp32.data<float>().ToArray());
        using var bf16 = q.Dequantize(ScalarType.BFloat16);
        using var rounded = tensor(expected).to(ScalarType.BFloat16).reshape(1100, 1024);
        Assert.True(bf16.eq(rounded).all().ToBoolean());
    }

    [Fact]
    public void Double_quantisation_stores_about_0_127_bits_per_weight_of_scales()
    {
        using var w = RandomWeight(256, 1024, 6);
        using var plain = FourBitWeight.Quantize(w, FourBitDataType.Nf4, 64, doubleQuant: false);
        using var nested = FourBitWeight.Quantize(w, FourBitDataType.Nf4, 64, doubleQuant: true);
        long n = 256 * 1024, blocks = n / 64;
        Assert.Equal(n / 2 + blocks * 4 + 16 * 4 + plain.QuantState.NumberOfElements, plain.StorageBytes);
        Assert.Equal(n / 2 + blocks + (blocks + 255) / 256 * 4 + 16 * 4 + 256 * 4 + nested.QuantState.NumberOfElements, nested.StorageBytes);
        var scaleBits = (blocks * 8.0 + (blocks + 255) / 256 * 32.0) / n;
        Assert.InRange(scaleBits, 0.126, 0.128);
    }

    [Fact]
    public void Quant_state_json_has_bitsandbytes_fields_in_order()
    {
        using var w = RandomWeight(4, 64, 7).to(ScalarType.BFloat16);
        using var q = FourBitWeight.Quantize(w, FourBitDataType.Nf4, 64, doubleQuant: true);
        var json = System.Text.Encoding.UTF8.GetString(q.QuantState.data<byte>().ToArray());
        Assert.StartsWith("{\"quant_type\": \"nf4\", \"blocksize\": 64, \"dtype\": \"bfloat16\", \"shape\": [4, 64], \"nested_blocksize\": 256, \"nested_dtype\": \"float32\", \"nested_offset\": ", json);
        var offset = double.Parse(json["{\"quant_type\": \"nf4\", \"blocksize\": 64, \"dtype\": \"bfloat16\", \"shape\": [4, 64], \"nested_blocksize\": 256, \"nested_dtype\": \"float32\", \"nested_offset\": ".Length..^1], System.Globalization.CultureInfo.InvariantCulture);
        Assert.Equal(q.NestedOffset, (float)offset);
    }
}
