namespace LoraDsl.Gguf;

/// <summary>
/// A tokenizer as llama.cpp reads it from <c>tokenizer.ggml.*</c>: the model kind ("gpt2" byte-level BPE or "llama"
/// SentencePiece), the pre-tokenizer name, tokens in id order with their types, BPE merges or SentencePiece scores,
/// and the special ids.
/// </summary>
internal sealed record GgufVocabulary
{
    // llama.cpp's llama_token_type values.
    public const int Normal = 1, Unknown = 2, Control = 3, UserDefined = 4, Unused = 5, Byte = 6;

    public required string Model { get; init; }

    public required string Pre { get; init; }

    public required IReadOnlyList<string> Tokens { get; init; }

    public required IReadOnlyList<int> TokenTypes { get; init; }

    public IReadOnlyList<float>? Scores { get; init; }

    public IReadOnlyList<string>? Merges { get; init; }

    public int? BosId { get; init; }

    public int? EosId { get; init; }

    public int? UnknownId { get; init; }

    public int? PadId { get; init; }

    public bool AddBos { get; init; }

    public bool AddEos { get; init; }

    /// <summary>SentencePiece's dummy "▁" prefix (llama.cpp's add_space_prefix); null leaves llama.cpp's default.</summary>
    public bool? AddSpacePrefix { get; init; }

    public string? ChatTemplate { get; init; }

    /// <summary>What the reader had to guess (an unknown pre-tokenizer); the exporter prints these.</summary>
    public IReadOnlyList<string> Warnings { get; init; } = [];

    /// <summary>The id of <paramref name="token"/>, or null.</summary>
    public int? IdOf(string token)
    {
        for (var i = 0; i < Tokens.Count; i++)
            if (Tokens[i] == token) return i;
        return null;
    }

    /// <summary>Writes the <c>tokenizer.ggml.*</c> keys and the chat template.</summary>
    public void WriteTo(GgufWriter writer)
    {
        writer.Add("tokenizer.ggml.model", Model);
        writer.Add("tokenizer.ggml.pre", Pre);
        writer.Add("tokenizer.ggml.tokens", Tokens);
        if (Scores is not null) writer.Add("tokenizer.ggml.scores", Scores);
        writer.Add("tokenizer.ggml.token_type", TokenTypes);
        if (Merges is not null) writer.Add("tokenizer.ggml.merges", Merges);
        if (BosId is { } bos) writer.Add("tokenizer.ggml.bos_token_id", (uint)bos);
        if (EosId is { } eos) writer.Add("tokenizer.ggml.eos_token_id", (uint)eos);
        if (UnknownId is { } unk) writer.Add("tokenizer.ggml.unknown_token_id", (uint)unk);
        if (PadId is { } pad) writer.Add("tokenizer.ggml.padding_token_id", (uint)pad);
        writer.Add("tokenizer.ggml.add_bos_token", AddBos);
        writer.Add("tokenizer.ggml.add_eos_token", AddEos);
        if (AddSpacePrefix is { } prefix) writer.Add("tokenizer.ggml.add_space_prefix", prefix);
        if (ChatTemplate is { } template) writer.Add("tokenizer.chat_template", template);
    }
}
