using LoraDsl.Data;
using Microsoft.ML.Tokenizers;

namespace LoraDsl.Tokenization;

/// <summary>A loaded tokenizer with the special ids a model folder declares.</summary>
public sealed class TextTokenizer : ITextTokenizer
{
    readonly HashSet<int> specialIds;

    public TextTokenizer(Tokenizer inner, TokenizerKind kind, int vocabSize, int? bosId, int? eosId, int? padId, bool addsBos)
    {
        Inner = inner;
        Kind = kind;
        VocabSize = vocabSize;
        BosId = bosId;
        EosId = eosId;
        PadId = padId;
        AddsBos = addsBos;
        specialIds = [.. new[] { bosId, eosId, padId }.OfType<int>()];
    }

    /// <summary>The Microsoft.ML.Tokenizers tokenizer underneath.</summary>
    public Tokenizer Inner { get; }

    /// <summary>The model folder it was loaded from (its chat template and generation_config.json live there); null when built in code.</summary>
    public string? SourceDirectory { get; internal set; }

    public TokenizerKind Kind { get; }

    /// <summary>Ids in the vocabulary (including added special tokens).</summary>
    public int VocabSize { get; }

    public int? BosId { get; }

    public int? EosId { get; }

    /// <summary>The padding id; falls back to <see cref="EosId"/> when the folder declares none (as HF trainers do).</summary>
    public int? PadId { get; }

    /// <summary>Whether <see cref="Encode"/> with special tokens starts with BOS (SentencePiece, BERT's [CLS]).</summary>
    public bool AddsBos { get; }

    /// <summary>Token ids of <paramref name="text"/>; special tokens (BOS, BERT's [CLS]/[SEP]) only when <paramref name="addSpecialTokens"/>.</summary>
    public IReadOnlyList<int> Encode(string text, bool addSpecialTokens = true)
    {
        var ids = Inner.EncodeToIds(text).ToList();
        if (Kind == TokenizerKind.SentencePiece && !addSpecialTokens && ids.Count > 0 && ids[0] == BosId) ids.RemoveAt(0);
        if (Kind == TokenizerKind.ByteLevelBpe && addSpecialTokens && AddsBos && BosId is { } bos) ids.Insert(0, bos);
        // BertTokenizer's base EncodeToIds leaves out [CLS] and [SEP]; BERT models expect them.
        if (Kind == TokenizerKind.WordPiece && addSpecialTokens && Inner is BertTokenizer bert)
        {
            ids.Insert(0, bert.ClassificationTokenId);
            ids.Add(bert.SeparatorTokenId);
        }
        return ids;
    }

    /// <summary>Text of <paramref name="ids"/>, without BOS/EOS/PAD when <paramref name="skipSpecialTokens"/>.</summary>
    public string Decode(IEnumerable<int> ids, bool skipSpecialTokens = true) =>
        Inner.Decode(skipSpecialTokens ? ids.Where(id => !specialIds.Contains(id)) : ids) ?? "";

    // The data pipeline adds BOS/EOS itself, so it sees the text's tokens alone.
    IReadOnlyList<int> ITextTokenizer.Encode(string text) => Encode(text, addSpecialTokens: false);

    // SentencePiece prepends its own "▁" to every call, so a piece after the first drops the space it was cut
    // before and the dummy prefix stands in for it; ids can still differ where a merge would span the cut.
    IEnumerable<IReadOnlyList<int>> ITextTokenizer.EncodeLong(string text) =>
        TextChunker.Pieces(text).Select((piece, i) =>
            Encode(Kind == TokenizerKind.SentencePiece && i > 0 && piece.StartsWith(' ') ? piece[1..] : piece, addSpecialTokens: false));

    string ITextTokenizer.Decode(IEnumerable<int> ids) => Decode(ids);

    int ITextTokenizer.PadId => PadId ?? EosId ?? 0;
}
