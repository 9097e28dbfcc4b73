namespace LoraDsl.Data;

/// <summary>
/// Packing without cross-contamination: consecutive examples share one row of at most MaxTokens tokens, each keeping
/// its own attention block and positions (<see cref="TokenizedExample.Segments"/>), so a packed example's logits are
/// its logits alone. Fewer, fuller rows than padding each example to the longest of its batch.
/// </summary>
internal static class ExamplePacker
{
    /// <summary>
    /// <paramref name="examples"/> packed in order into rows of at most <paramref name="maxTokens"/> tokens. The first
    /// token of every example after a row's first gets label -100: no example is trained to predict the next one.
    /// </summary>
    public static IReadOnlyList<TokenizedExample> Pack(IReadOnlyList<TokenizedExample> examples, int maxTokens)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(maxTokens);
        var rows = new List<TokenizedExample>();
        var row = new List<TokenizedExample>();
        var length = 0;
        foreach (var example in examples)
        {
            if (example.Segments is not null) throw new ArgumentException("An example is already packed.", nameof(examples));
            if (row.Count > 0 && length + example.InputIds.Length > maxTokens)
            {
                rows.Add(Row(row));
                row.Clear();
                length = 0;
            }
            row.Add(example);
            length += example.InputIds.Length;
        }
        if (row.Count > 0) rows.Add(Row(row));
        return rows;
    }

    static TokenizedExample Row(List<TokenizedExample> examples)
    {
        if (examples.Count == 1) return examples[0];
        var ids = new List<int>();
        var labels = new List<int>();
        var segments = new List<int>();
        for (var e = 0; e < examples.Count; e++)
        {
            var example = examples[e];
            ids.AddRange(example.InputIds);
            labels.AddRange(example.Labels);
            if (e > 0) labels[ids.Count - example.InputIds.Length] = TokenizedExample.IgnoreIndex;
            segments.AddRange(Enumerable.Repeat(e + 1, example.InputIds.Length));
        }
        return new TokenizedExample([.. ids], [.. labels]) { Segments = [.. segments] };
    }
}
