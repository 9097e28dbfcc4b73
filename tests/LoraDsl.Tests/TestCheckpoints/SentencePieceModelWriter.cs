using System.Text;

namespace LoraDsl.Tests.TestCheckpoints;

/// <summary>
/// Writes a tiny BPE SentencePiece <c>tokenizer.model</c> (protobuf ModelProto, encoded by hand):
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

    public static void Write(string path)
    {
        var model = new MemoryStream();
        void Piece(string text, float score, int type)
        {
            var body = new MemoryStream();
            Bytes(body, 1, Encoding.UTF8.GetBytes(text));
            Tag(body, 2, 5);
            body.Write(BitConverter.GetBytes(score));
            Tag(body, 3, 0);
            Varint(body, (ulong)type);
            Bytes(model, 1, body.ToArray());
        }
        Piece("<unk>", 0, 2);
        Piece("<s>", 0, 3);
        Piece("</s>", 0, 3);
        foreach (var (piece, score) in Pieces) Piece(piece, score, 1);
        var trainer = new MemoryStream();
        Tag(trainer, 3, 0);
        Varint(trainer, 2); // model_type = BPE
        Tag(trainer, 4, 0);
        Varint(trainer, (ulong)(Pieces.Length + 3));
        Bytes(model, 2, trainer.ToArray());
        var normalizer = new MemoryStream();
        Bytes(normalizer, 1, Encoding.UTF8.GetBytes("identity"));
        Bytes(model, 3, normalizer.ToArray());
        File.WriteAllBytes(path, model.ToArray());
    }

    static void Tag(Stream s, int field, int wireType) => Varint(s, (ulong)((field << 3) | wireType));

    static void Bytes(Stream s, int field, byte[] bytes)
    {
        Tag(s, field, 2);
        Varint(s, (ulong)bytes.Length);
        s.Write(bytes);
    }

    static void Varint(Stream s, ulong value)
    {
        while (value >= 0x80)
        {
            s.WriteByte((byte)(value | 0x80));
            value >>= 7;
        }
        s.WriteByte((byte)value);
    }
}
