namespace LoraDsl.Tokenization;

/// <summary>A tokenizer file that exists but cannot be read (corrupt, truncated, or a kind this library does not read); the message names the file.</summary>
public sealed class TokenizerFormatException : Exception
{
    public TokenizerFormatException(string message) : base(message) { }

    public TokenizerFormatException(string message, Exception inner) : base(message, inner) { }
}
