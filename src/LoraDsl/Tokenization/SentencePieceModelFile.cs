using System.Globalization;
using System.Text;

namespace LoraDsl.Tokenization;

/// <summary>
/// Writes a BPE SentencePiece <c>tokenizer.model</c> (the protobuf ModelProto, encoded by hand, no
/// protobuf dependency) from a list of pieces: the LLaMA layout &lt;unk&gt; 0, &lt;s&gt; 1, &lt;/s&gt; 2,
/// then, with byte fallback, the 256 byte pieces &lt;0x00&gt;..&lt;0xFF&gt;, then the pieces in order.
/// For tiny test and example checkpoints that must not need a download.
/// </summary>
public static class SentencePieceModelFile
{
    /// <summary>Ids of the three special pieces every written model starts with.</summary>
    public const int UnknownId = 0, BeginId = 1, EndId = 2;

    /// <summary>How many ids precede the given pieces (3 specials, plus 256 byte pieces with byte fallback).</summary>
    public static int FirstPieceId(bool byteFallback) => 3 + (byteFallback ? 256 : 0);

    // ModelProto.SentencePiece.Type values.
    const int Normal = 1, Unknown = 2, Control = 3, Byte = 6;

    /// <summary>
    /// Writes the model to <paramref name="path"/> through a temp file in the same folder. Higher
    /// scores merge first (SentencePiece BPE); with <paramref name="byteFallback"/> any text encodes
    /// without &lt;unk&gt;.
    /// </summary>
    public static void Write(string path, IReadOnlyList<(string Piece, float Score)> pieces, bool byteFallback = false)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(path);
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
        Piece("<unk>", 0, Unknown);
        Piece("<s>", 0, Control);
        Piece("</s>", 0, Control);
        if (byteFallback)
            for (var b = 0; b < 256; b++) Piece(string.Create(CultureInfo.InvariantCulture, $"<0x{b:X2}>"), 0, Byte);
        foreach (var (piece, score) in pieces) Piece(piece, score, Normal);

        var trainer = new MemoryStream();
        Tag(trainer, 3, 0);
        Varint(trainer, 2); // model_type = BPE
        Tag(trainer, 4, 0);
        Varint(trainer, (ulong)(FirstPieceId(byteFallback) + pieces.Count));
        if (byteFallback)
        {
            Tag(trainer, 35, 0); // byte_fallback
            Varint(trainer, 1);
        }
        Bytes(model, 2, trainer.ToArray());
        var normalizer = new MemoryStream();
        Bytes(normalizer, 1, Encoding.UTF8.GetBytes("identity"));
        Bytes(model, 3, normalizer.ToArray());

        var full = Path.GetFullPath(path);
        var temp = full + $".{Guid.NewGuid():N}.tmp";
        try
        {
            File.WriteAllBytes(temp, model.ToArray());
            File.Move(temp, full, overwrite: true);
        }
        finally
        {
            if (File.Exists(temp)) File.Delete(temp);
        }
    }

    /// <summary>
    /// Reads the pieces of a SentencePiece <c>tokenizer.model</c> in id order (piece, score, ModelProto type: 1 normal,
    /// 2 unknown, 3 control, 4 user-defined, 5 unused, 6 byte) and whether the normalizer adds a dummy "▁" prefix.
    /// </summary>
    internal static (IReadOnlyList<(string Piece, float Score, int Type)> Pieces, bool AddDummyPrefix) Read(string path)
    {
        var bytes = File.ReadAllBytes(path);
        var pieces = new List<(string, float, int)>();
        var addDummyPrefix = true;
        var at = 0;
        while (at < bytes.Length)
        {
            var (field, wire) = ReadTag(bytes, ref at);
            if (field == 1 && wire == 2)
            {
                var end = ReadLength(bytes, ref at);
                string piece = "";
                float score = 0;
                var type = Normal;
                while (at < end)
                {
                    var (f, w) = ReadTag(bytes, ref at);
                    if (f == 1 && w == 2)
                    {
                        var stop = ReadLength(bytes, ref at);
                        piece = Encoding.UTF8.GetString(bytes, at, stop - at);
                        at = stop;
                    }
                    else if (f == 2 && w == 5)
                    {
                        score = BitConverter.ToSingle(bytes, at);
                        at += 4;
                    }
                    else if (f == 3 && w == 0) type = (int)ReadVarint(bytes, ref at);
                    else Skip(bytes, ref at, w);
                }
                pieces.Add((piece, score, type));
            }
            else if (field == 3 && wire == 2)
            {
                var end = ReadLength(bytes, ref at);
                while (at < end)
                {
                    var (f, w) = ReadTag(bytes, ref at);
                    if (f == 3 && w == 0) addDummyPrefix = ReadVarint(bytes, ref at) != 0;
                    else Skip(bytes, ref at, w);
                }
            }
            else Skip(bytes, ref at, wire);
        }
        if (pieces.Count == 0) throw new TokenizerFormatException($"SentencePiece model '{path}' has no pieces.");
        return (pieces, addDummyPrefix);
    }

    static (int Field, int Wire) ReadTag(byte[] bytes, ref int at)
    {
        var tag = ReadVarint(bytes, ref at);
        return ((int)(tag >> 3), (int)(tag & 7));
    }

    static int ReadLength(byte[] bytes, ref int at)
    {
        var length = (long)ReadVarint(bytes, ref at);
        if (length < 0 || at + length > bytes.Length) throw new TokenizerFormatException("SentencePiece model is truncated.");
        return at + (int)length;
    }

    static ulong ReadVarint(byte[] bytes, ref int at)
    {
        ulong value = 0;
        for (var shift = 0; shift < 64; shift += 7)
        {
            if (at >= bytes.Length) throw new TokenizerFormatException("SentencePiece model is truncated.");
            var b = bytes[at++];
            value |= (ulong)(b & 0x7f) << shift;
            if (b < 0x80) return value;
        }
        throw new TokenizerFormatException("SentencePiece model has a malformed varint.");
    }

    static void Skip(byte[] bytes, ref int at, int wire)
    {
        switch (wire)
        {
            case 0: ReadVarint(bytes, ref at); break;
            case 1: at += 8; break;
            case 2: at = ReadLength(bytes, ref at); break;
            case 5: at += 4; break;
            default: throw new TokenizerFormatException($"SentencePiece model has an unknown protobuf wire type {wire}.");
        }
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
