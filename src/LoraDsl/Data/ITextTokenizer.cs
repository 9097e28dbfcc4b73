namespace LoraDsl.Data;

/// <summary>The little the data pipeline needs from a tokenizer; the model's real tokenizer is adapted to it.</summary>
public interface ITextTokenizer
{
    /// <summary>Token ids of <paramref name="text"/> without special tokens.</summary>
    IReadOnlyList<int> Encode(string text);

    /// <summary>
    /// Token ids of a text that may be very long, one list per piece: a text
    /// of at most 65,536 chars is one <see cref="Encode"/> call; a longer one is split
    /// right before spaces, which keeps byte-level BPE ids identical (elsewhere ids may differ at the cuts).
    /// </summary>
    IEnumerable<IReadOnlyList<int>> EncodeLong(string text) => TextChunker.Pieces(text).Select(Encode);

    string Decode(IEnumerable<int> ids);

    /// <summary>Prepended to every sequence when set.</summary>
    int? BosId { get; }

    /// <summary>Appended after documents and responses when set.</summary>
    int? EosId { get; }

    /// <summary>Fills padding positions (they are masked out of attention and loss).</summary>
    int PadId { get; }
}
