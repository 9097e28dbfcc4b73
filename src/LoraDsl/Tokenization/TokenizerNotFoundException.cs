namespace LoraDsl.Tokenization;

/// <summary>A folder with no tokenizer files this library looks for; the message names the folder and the files. Unreadable files are a <see cref="TokenizerFormatException"/>.</summary>
public sealed class TokenizerNotFoundException : Exception
{
    public TokenizerNotFoundException(string message) : base(message) { }

    public TokenizerNotFoundException(string message, Exception inner) : base(message, inner) { }
}
