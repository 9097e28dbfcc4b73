namespace LoraDsl.Tokenization;

/// <summary>A folder with no tokenizer files this library reads, or unreadable ones; the message names the folder and the files.</summary>
public sealed class TokenizerNotFoundException : Exception
{
    public TokenizerNotFoundException(string message) : base(message) { }

    public TokenizerNotFoundException(string message, Exception inner) : base(message, inner) { }
}
