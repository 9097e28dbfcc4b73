namespace LoraDsl.Data;

/// <summary>Alpaca prompt + response + eos; prompt tokens get label -100 so only the response is trained.</summary>
internal static class InstructionEncoder
{
    /// <summary>The example, or null when truncation to MaxTokens leaves no response token to train.</summary>
    public static TokenizedExample? Encode(DataRecord record, ITextTokenizer tokenizer, DataOptions options)
    {
        var prompt = AlpacaTemplate.Prompt(record.Require(options.InstructionField), record.Optional(options.InputField));
        var response = record.Require(options.OutputField);
        var ids = new List<int>();
        if (tokenizer.BosId is { } bos) ids.Add(bos);
        ids.AddRange(tokenizer.Encode(prompt));
        var promptLength = ids.Count;
        ids.AddRange(tokenizer.Encode(response));
        if (tokenizer.EosId is { } eos) ids.Add(eos);
        if (ids.Count > options.MaxTokens) ids.RemoveRange(options.MaxTokens, ids.Count - options.MaxTokens);
        // The shifted loss trains position i+1, so at least one response token must follow the prompt.
        if (ids.Count <= promptLength) return null;
        var labels = new int[ids.Count];
        for (var i = 0; i < labels.Length; i++) labels[i] = i < promptLength ? TokenizedExample.IgnoreIndex : ids[i];
        return new TokenizedExample([.. ids], labels);
    }
}
