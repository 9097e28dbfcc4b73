namespace LoraDsl.Data;

/// <summary>
/// Cuts a long text into pieces of bounded length so a tokenizer never sees the whole of a huge document at once
/// (a 50 MB single-line file made the tokenizer's intermediate objects peak at about 67 times the file).
/// </summary>
internal static class TextChunker
{
    /// <summary>Longest piece, in UTF-16 chars, handed to a tokenizer in one call.</summary>
    public const int MaxChars = 64 * 1024;

    /// <summary>
    /// The text itself when it is at most <paramref name="maxChars"/> long; otherwise consecutive pieces whose
    /// concatenation is the text. A piece ends right before a space (U+0020) that follows a non-whitespace char,
    /// the last such one within <paramref name="maxChars"/>; GPT-2-style byte-level BPE pre-tokenizers
    /// (GPT-2, Llama 3, Qwen2 patterns) never match across that point, so the ids are the same as for the whole
    /// text. Where no such space exists within the limit, the piece is cut at <paramref name="maxChars"/> (not
    /// inside a surrogate pair), and ids may differ around that cut.
    /// </summary>
    public static IEnumerable<string> Pieces(string text, int maxChars = MaxChars)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(maxChars, 2);
        if (text.Length <= maxChars)
        {
            yield return text;
            yield break;
        }
        var start = 0;
        while (text.Length - start > maxChars)
        {
            var end = start + maxChars;
            var cut = end;
            // text[cut] starts the next piece: a space after a non-whitespace char.
            while (cut > start + 1 && !(text[cut] == ' ' && !char.IsWhiteSpace(text[cut - 1]))) cut--;
            if (cut <= start + 1)
            {
                cut = end;
                if (char.IsLowSurrogate(text[cut]) && char.IsHighSurrogate(text[cut - 1])) cut--;
            }
            yield return text[start..cut];
            start = cut;
        }
        yield return text[start..];
    }
}
