namespace LoraDsl.Data;

/// <summary>
/// One training example. For language-model tasks <see cref="Labels"/> is aligned with
/// <see cref="InputIds"/> (the loss shifts it; <see cref="IgnoreIndex"/> = not trained); for
/// classification it holds the one class index.
/// </summary>
public sealed record TokenizedExample(int[] InputIds, int[] Labels)
{
    /// <summary>
    /// For a row packed from several examples: each token's example, 1, 2, … in order; null for a row of one example.
    /// Tokens attend only within their example and positions restart at 0 at each (see <see cref="ExamplePacker"/>).
    /// </summary>
    public int[]? Segments { get; init; }

    /// <summary>PyTorch's cross-entropy ignore_index.</summary>
    public const int IgnoreIndex = -100;
}
