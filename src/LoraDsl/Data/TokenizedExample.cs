namespace LoraDsl.Data;

/// <summary>
/// One training example. For language-model tasks <see cref="Labels"/> is aligned with
/// <see cref="InputIds"/> (the loss shifts it; <see cref="IgnoreIndex"/> = not trained); for
/// classification it holds the one class index.
/// </summary>
public sealed record TokenizedExample(int[] InputIds, int[] Labels)
{
    /// <summary>PyTorch's cross-entropy ignore_index.</summary>
    public const int IgnoreIndex = -100;
}
