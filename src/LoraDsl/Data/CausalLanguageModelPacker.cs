namespace LoraDsl.Data;

/// <summary>
/// Concatenates documents ([bos] tokens eos ...) and cuts the stream into blocks of MaxTokens; labels
/// equal the inputs and the loss shifts them, so every position predicts the next token.
/// </summary>
/// <remarks>
/// Each document is tokenized in pieces of at most <see cref="TextChunker.MaxChars"/> chars
/// (<see cref="ITextTokenizer.EncodeLong"/>) and blocks are filled as the ids arrive, so memory grows with the
/// packed ids rather than with the tokenizer's working objects for a whole (possibly huge, single-line) file.
/// Documents up to that length get exactly the ids of one Encode call.
/// </remarks>
internal static class CausalLanguageModelPacker
{
    public static IReadOnlyList<TokenizedExample> Pack(IEnumerable<DataRecord> records, ITextTokenizer tokenizer, DataOptions options)
    {
        if (options.MaxTokens < 2) throw new ArgumentException($"MaxTokens must be at least 2 for causal language modelling, got {options.MaxTokens}.");
        var blocks = new List<TokenizedExample>();
        var buffer = new int[options.MaxTokens];
        var filled = 0;
        void Add(int id)
        {
            buffer[filled++] = id;
            if (filled < buffer.Length) return;
            blocks.Add(new TokenizedExample((int[])buffer.Clone(), (int[])buffer.Clone()));
            filled = 0;
        }
        foreach (var record in records)
        {
            if (tokenizer.BosId is { } bos) Add(bos);
            foreach (var ids in tokenizer.EncodeLong(record.Require(options.TextField)))
                foreach (var id in ids) Add(id);
            if (tokenizer.EosId is { } eos) Add(eos);
        }
        // A one-token tail has no next token to predict.
        if (filled >= 2)
        {
            var tail = buffer.AsSpan(0, filled).ToArray();
            blocks.Add(new TokenizedExample(tail, (int[])tail.Clone()));
        }
        return blocks;
    }
}
