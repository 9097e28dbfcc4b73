namespace LoraDsl.Data;

/// <summary>
/// Concatenates documents ([bos] tokens eos ...) and cuts the stream into blocks of MaxTokens; labels
/// equal the inputs and the loss shifts them, so every position predicts the next token.
/// </summary>
internal static class CausalLanguageModelPacker
{
    public static IReadOnlyList<TokenizedExample> Pack(IEnumerable<DataRecord> records, ITextTokenizer tokenizer, DataOptions options)
    {
        if (options.MaxTokens < 2) throw new ArgumentException($"MaxTokens must be at least 2 for causal language modelling, got {options.MaxTokens}.");
        var stream = new List<int>();
        foreach (var record in records)
        {
            if (tokenizer.BosId is { } bos) stream.Add(bos);
            stream.AddRange(tokenizer.Encode(record.Require(options.TextField)));
            if (tokenizer.EosId is { } eos) stream.Add(eos);
        }
        var blocks = new List<TokenizedExample>();
        for (var start = 0; start < stream.Count; start += options.MaxTokens)
        {
            var length = Math.Min(options.MaxTokens, stream.Count - start);
            // A one-token tail has no next token to predict.
            if (length < 2) break;
            var block = stream.GetRange(start, length).ToArray();
            blocks.Add(new TokenizedExample(block, (int[])block.Clone()));
        }
        return blocks;
    }
}
