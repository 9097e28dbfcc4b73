using System.Globalization;
using System.Text.RegularExpressions;

namespace LoraDsl.Checkpoints;

/// <summary>
/// transformers' <c>max_shard_size</c> spelling: "5GB" (decimal, 5·10⁹ bytes), "5GiB" (binary), "500MB", "100KB", or bytes.
/// </summary>
static partial class ShardSize
{
    /// <summary>save_pretrained's default.</summary>
    public const string Default = "5GB";

    [GeneratedRegex(@"^\s*(\d+(?:\.\d+)?)\s*([KMGT]i?B|B)?\s*$", RegexOptions.IgnoreCase)]
    private static partial Regex Pattern();

    /// <summary>The size in bytes <paramref name="text"/> names.</summary>
    /// <exception cref="ArgumentException">Not a number with an optional KB/MB/GB/TB (or KiB/MiB/GiB/TiB) unit, or not positive.</exception>
    public static long Parse(string text)
    {
        var match = Pattern().Match(text ?? "");
        if (!match.Success)
            throw new ArgumentException($"--max-shard-size: '{text}' is not a size; write it as transformers does, e.g. 5GB, 500MB, 100KB or 2GiB.");
        var number = double.Parse(match.Groups[1].Value, CultureInfo.InvariantCulture);
        var unit = match.Groups[2].Value.ToUpperInvariant();
        double scale = unit switch
        {
            "" or "B" => 1,
            "KB" => 1e3, "MB" => 1e6, "GB" => 1e9, "TB" => 1e12,
            "KIB" => 1L << 10, "MIB" => 1L << 20, "GIB" => 1L << 30, "TIB" => 1L << 40,
            _ => throw new ArgumentException($"--max-shard-size: unknown unit '{match.Groups[2].Value}'."),
        };
        var bytes = (long)(number * scale);
        return bytes > 0 ? bytes : throw new ArgumentException($"--max-shard-size: '{text}' must be more than 0 bytes.");
    }
}
