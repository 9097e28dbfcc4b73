using static TorchSharp.torch;

namespace LoraDsl.Models;

/// <summary>
/// Masks and positions for causal self-attention with an optional KV cache, padding mask and
/// sliding window (Mistral). Boolean masks: true means "may attend", as SDPA reads them.
/// </summary>
internal static class CausalMask
{
    /// <summary>
    /// The padding mask over past + current tokens [batch, past + query]; a mask of only the
    /// current tokens is extended with ones for the cached ones. Null when <paramref name="attentionMask"/> is null.
    /// </summary>
    public static Tensor? FullPaddingMask(Tensor? attentionMask, long batch, long queryLength, long pastLength, Device device)
    {
        if (attentionMask is null) return null;
        var total = pastLength + queryLength;
        var mask = attentionMask.to(ScalarType.Bool).to(device);
        if (mask.shape.Length != 2 || mask.shape[0] != batch)
            throw new ArgumentException($"attention_mask has shape [{string.Join(", ", mask.shape)}]; expected [{batch}, {total}] or [{batch}, {queryLength}].");
        if (mask.shape[1] == total) return mask;
        if (mask.shape[1] == queryLength)
            return cat(new[] { ones(batch, pastLength, ScalarType.Bool, device), mask }, 1);
        throw new ArgumentException($"attention_mask has shape [{string.Join(", ", mask.shape)}]; expected [{batch}, {total}] or [{batch}, {queryLength}].");
    }

    /// <summary>
    /// The SDPA mask [batch, 1, query, past + query], or null when plain causal attention
    /// (<c>is_causal</c> with no past) or no mask at all (one new token, no padding, no window) does.
    /// </summary>
    public static (Tensor? Mask, bool IsCausal) Build(long batch, long queryLength, long pastLength, Tensor? paddingMask, int? slidingWindow, Device device,
        Tensor? packedSegments = null)
    {
        var total = pastLength + queryLength;
        var windowMatters = slidingWindow is { } w && total > w;
        if (packedSegments is not null && pastLength > 0)
            throw new ArgumentException("Packed rows (several examples per row) cannot be decoded with a KV cache.");
        if (paddingMask is null && !windowMatters && packedSegments is null)
        {
            if (pastLength == 0) return (null, queryLength > 1);
            if (queryLength == 1) return (null, false);
        }
        using var queryPositions = arange(pastLength, total, ScalarType.Int64, device).unsqueeze(1);
        using var keyPositions = arange(0, total, ScalarType.Int64, device).unsqueeze(0);
        var allowed = keyPositions.le(queryPositions);
        if (windowMatters)
        {
            // HF Mistral: a query at position i sees keys j with i - j < sliding_window.
            using var distance = queryPositions - keyPositions;
            using var inWindow = distance.lt(slidingWindow!.Value);
            allowed = allowed.logical_and_(inWindow);
        }
        var mask = allowed.unsqueeze(0).unsqueeze(0).expand(batch, 1, queryLength, total);
        if (packedSegments is not null)
        {
            // Block-diagonal: a token of a packed row sees only earlier tokens of its own example.
            var segments = packedSegments.to(device);
            using var same = segments.unsqueeze(2).eq(segments.unsqueeze(1)).unsqueeze(1);
            mask = mask.logical_and(same);
        }
        if (paddingMask is not null)
        {
            mask = mask.logical_and(paddingMask.unsqueeze(1).unsqueeze(1));
            // A padded query would see no key at all and SDPA would return NaN: let it see itself.
            using var self = keyPositions.eq(queryPositions).unsqueeze(0).unsqueeze(0);
            mask = mask.logical_or(self);
        }
        return (mask, false);
    }

    /// <summary>
    /// Position ids [batch, query]: past + 0..query-1, or, with a padding mask, the count of real
    /// tokens before each one (as HF generate does for left padding).
    /// </summary>
    public static Tensor PositionIds(long batch, long queryLength, long pastLength, Tensor? paddingMask, Device device)
    {
        if (paddingMask is null)
            return arange(pastLength, pastLength + queryLength, ScalarType.Int64, device).unsqueeze(0).expand(batch, queryLength);
        using var counts = paddingMask.to(ScalarType.Int64).cumsum(1) - 1;
        using var clamped = counts.clamp_min(0);
        return clamped[.., (int)pastLength..].contiguous();
    }
}
