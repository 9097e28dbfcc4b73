namespace LoraDsl.Tokenization;

/// <summary>The tokenizer families a Hugging Face folder can hold.</summary>
public enum TokenizerKind
{
    /// <summary>GPT-2 / Qwen2 byte-level BPE: vocab.json + merges.txt.</summary>
    ByteLevelBpe,

    /// <summary>LLaMA / Mistral SentencePiece BPE: tokenizer.model.</summary>
    SentencePiece,

    /// <summary>BERT WordPiece: vocab.txt.</summary>
    WordPiece,
}
