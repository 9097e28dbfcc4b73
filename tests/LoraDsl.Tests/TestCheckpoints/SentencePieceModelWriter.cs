using LoraDsl.Tokenization;

namespace LoraDsl.Tests.TestCheckpoints;

/// <summary>
/// Writes a tiny BPE SentencePiece <c>tokenizer.model</c> through <see cref="SentencePieceModelFile"/>:
/// &lt;unk&gt; 0, &lt;s&gt; 1, &lt;/s&gt; 2, then pieces whose scores order the merges of "▁hello" and "▁world".
/// </summary>
public static class SentencePieceModelWriter
{
    public static readonly (string Piece, float Score)[] Pieces =
    [
        ("▁", -20), ("h", -21), ("e", -22), ("l", -23), ("o", -24), ("w", -25), ("r", -26), ("d", -27),
        ("he", -2), ("ll", -3), ("▁he", -4), ("llo", -5), ("▁hello", -6),
        ("▁w", -7), ("or", -8), ("▁wor", -9), ("ld", -10), ("▁world", -11),
    ];

    /// <summary>Id of <paramref name="piece"/> in the written model.</summary>
    public static int IdOf(string piece) => 3 + Array.FindIndex(Pieces, p => p.Piece == piece);

    public static void Write(string path) => SentencePieceModelFile.Write(path, Pieces);
}
