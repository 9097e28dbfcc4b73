using TorchSharp;
using static TorchSharp.torch;

namespace LoraDsl.Quantization;

/// <summary>
/// Blockwise absmax quantisation as bitsandbytes' reference ops do it: per block of consecutive values, absmax =
/// max |x|, code = the nearest code-book value of x·(1/absmax) (ties to the lower code); a ragged last block has its own absmax.
/// </summary>
static class BlockwiseQuantizer
{
    /// <summary>Blocks processed per pass, so a large weight never has an fp32 copy in full.</summary>
    const long ChunkElements = 1L << 20;

    /// <summary>
    /// 4-bit codes of <paramref name="values"/> (any float dtype, any shape, read flat), two per byte with the first in
    /// the high nibble, as a uint8 [ceil(n/2), 1]; and the fp32 absmax per block [ceil(n/blockSize)].
    /// </summary>
    public static (Tensor Packed, Tensor Absmax) Quantize4Bit(Tensor values, FourBitDataType type, int blockSize)
    {
        using var scope = NewDisposeScope();
        using var _ = no_grad();
        var flat = values.reshape(-1);
        var n = flat.shape[0];
        var codes = tensor(FourBitCodeBook.Values(type), device: values.device);
        var (sortedCodes, order) = codes.sort();
        var bounds = Midpoints(sortedCodes);
        var packed = empty((n + 1) / 2, ScalarType.Byte, device: values.device);
        var absmax = empty((n + blockSize - 1) / blockSize, ScalarType.Float32, device: values.device);
        var chunk = ChunkElements / blockSize * blockSize;
        for (long start = 0; start < n; start += chunk)
        {
            using var inner = NewDisposeScope();
            var length = Math.Min(chunk, n - start);
            var part = flat.narrow(0, start, length).to(ScalarType.Float32);
            var (scaled, partAbsmax) = ScaleByBlock(part, blockSize);
            absmax.narrow(0, start / blockSize, partAbsmax.shape[0]).copy_(partAbsmax);
            // An odd count pads with a zero value (its code fills the unused low nibble), as bitsandbytes does.
            if (length % 2 == 1) scaled = nn.functional.pad(scaled, [0, 1]);
            var q = bucketize(scaled, bounds, outInt32: false);
            if (type != FourBitDataType.Nf4) q = order.index_select(0, q);
            var bytes = q.to(ScalarType.Byte);
            var pairs = bytes.view(-1, 2);
            var high = pairs.select(1, 0).bitwise_left_shift(4);
            packed.narrow(0, start / 2, pairs.shape[0]).copy_(high.bitwise_or_(pairs.select(1, 1)));
        }
        return (packed.unsqueeze(1).MoveToOuterDisposeScope(), absmax.MoveToOuterDisposeScope());
    }

    /// <summary>
    /// Codes of <paramref name="values"/> (fp32, flat) in an arbitrary sorted code book of 256 values (bitsandbytes'
    /// <c>quantize_blockwise</c>): uint8 [n] and the fp32 absmax per block.
    /// </summary>
    public static (Tensor Codes, Tensor Absmax) Quantize8Bit(Tensor values, Tensor sortedCodes, int blockSize)
    {
        using var scope = NewDisposeScope();
        using var _ = no_grad();
        var (scaled, absmax) = ScaleByBlock(values.reshape(-1).to(ScalarType.Float32), blockSize);
        var codes = bucketize(scaled, Midpoints(sortedCodes), outInt32: false).to(ScalarType.Byte);
        return (codes.MoveToOuterDisposeScope(), absmax.MoveToOuterDisposeScope());
    }

    /// <summary>code[q]·absmax per block, fp32 [n] (bitsandbytes' <c>dequantize_blockwise</c>).</summary>
    public static Tensor Dequantize8Bit(Tensor codes, Tensor absmax, Tensor codeBook, int blockSize)
    {
        using var scope = NewDisposeScope();
        using var _ = no_grad();
        var values = codeBook.index_select(0, codes.reshape(-1).to(ScalarType.Int64));
        return ScaleBack(values, absmax, blockSize).MoveToOuterDisposeScope();
    }

    /// <summary>
    /// The values of 4-bit <paramref name="packed"/> codes as <paramref name="dtype"/> [n], code·absmax computed in fp32
    /// one chunk of blocks at a time, so only the output is ever whole.
    /// </summary>
    public static Tensor Dequantize4Bit(Tensor packed, Tensor absmax, Tensor codeBook, int blockSize, long n, ScalarType dtype)
    {
        using var scope = NewDisposeScope();
        using var _ = no_grad();
        var bytes = packed.reshape(-1);
        var (highTable, lowTable) = NibbleTables(codeBook);
        var output = empty(n, dtype, device: packed.device);
        var chunk = ChunkElements / blockSize * blockSize;
        for (long start = 0; start < n; start += chunk)
        {
            using var inner = NewDisposeScope();
            var length = Math.Min(chunk, n - start);
            var index = bytes.narrow(0, start / 2, (length + 1) / 2).to(ScalarType.Int64);
            // Two 1-D gathers (fast) rather than one over [256, 2] rows (a per-row copy).
            var pairs = stack([highTable.index_select(0, index), lowTable.index_select(0, index)], 1);
            var values = pairs.view(-1).narrow(0, 0, length);
            var scaled = ScaleBack(values, absmax.narrow(0, start / blockSize, (length + blockSize - 1) / blockSize), blockSize);
            output.narrow(0, start, length).copy_(scaled);
        }
        return output.MoveToOuterDisposeScope();
    }

    /// <summary>The value of every byte's high nibble and of its low nibble, [256] each.</summary>
    static (Tensor High, Tensor Low) NibbleTables(Tensor codeBook)
    {
        using var all = arange(256, ScalarType.Int64, device: codeBook.device);
        using var high = all.bitwise_right_shift(4);
        using var low = all.bitwise_and(15);
        return (codeBook.index_select(0, high), codeBook.index_select(0, low));
    }

    /// <summary>x·(1/absmax) clamped to [-1, 1] per block, and the absmax values (a ragged last block has its own).</summary>
    static (Tensor Scaled, Tensor Absmax) ScaleByBlock(Tensor flat, int blockSize)
    {
        var n = flat.shape[0];
        var full = n / blockSize * blockSize;
        var scaledParts = new List<Tensor>();
        var absmaxParts = new List<Tensor>();
        if (full > 0)
        {
            var blocks = flat.narrow(0, 0, full).view(-1, blockSize);
            var absmax = blocks.abs().amax([1]);
            var reciprocal = absmax.clamp_min(1e-38).reciprocal().unsqueeze(1);
            scaledParts.Add((blocks * reciprocal).clamp(-1, 1).view(-1));
            absmaxParts.Add(absmax);
        }
        if (full < n)
        {
            var tail = flat.narrow(0, full, n - full);
            var absmax = tail.abs().amax([0]).clamp_min(1e-38);
            scaledParts.Add((tail / absmax).clamp(-1, 1));
            absmaxParts.Add(absmax.unsqueeze(0));
        }
        return (cat(scaledParts, 0), cat(absmaxParts, 0));
    }

    /// <summary>values·absmax of their block, fp32 [n].</summary>
    static Tensor ScaleBack(Tensor values, Tensor absmax, int blockSize)
    {
        var n = values.shape[0];
        var full = n / blockSize * blockSize;
        if (full == n) return (values.view(-1, blockSize) * absmax.unsqueeze(1)).view(-1);
        var head = (values.narrow(0, 0, full).view(-1, blockSize) * absmax.narrow(0, 0, full / blockSize).unsqueeze(1)).view(-1);
        var tail = values.narrow(0, full, n - full) * absmax[full / blockSize];
        return cat([head, tail], 0);
    }

    /// <summary>Decision boundaries between adjacent sorted codes: (c[k] + c[k+1]) / 2 in fp32.</summary>
    static Tensor Midpoints(Tensor sortedCodes)
    {
        var count = sortedCodes.shape[0];
        return (sortedCodes.narrow(0, 0, count - 1) + sortedCodes.narrow(0, 1, count - 1)) / 2;
    }
}
