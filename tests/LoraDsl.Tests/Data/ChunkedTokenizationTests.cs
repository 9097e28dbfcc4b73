using System.Text;
using LoraDsl.Data;
using LoraDsl.Tests.Tokenization;
using LoraDsl.Tokenization;
using Xunit;

namespace LoraDsl.Tests.Data;

public class ChunkedTokenizationTests(Gpt2TokenizerFolder folder) : IClassFixture<Gpt2TokenizerFolder>
{
    /// <summary>One long line of words, numbers, punctuation, apostrophes, runs of spaces and tabs, and non-ASCII.</summary>
    static string LongLine(int minChars)
    {
        string[] words = ["the", "Union", "1,234", "it's", "we'll", "  spaced", "\ttab", "naïve", "😀x", "--", "(state)", "of", "2026."];
        var text = new StringBuilder();
        for (var i = 0; text.Length < minChars; i++)
            text.Append(words[i % words.Length]).Append(i % 7 == 0 ? "   " : " ");
        return text.ToString();
    }

    [Fact]
    public void PiecesConcatenateToTheTextAndEndBeforeASpace()
    {
        var text = LongLine(3 * TextChunker.MaxChars + 123);
        var pieces = TextChunker.Pieces(text).ToList();
        Assert.True(pieces.Count >= 4);
        Assert.Equal(text, string.Concat(pieces));
        Assert.All(pieces, p => Assert.True(p.Length <= TextChunker.MaxChars));
        Assert.All(pieces.Skip(1), p => Assert.StartsWith(" ", p));
        Assert.All(pieces.SkipLast(1), p => Assert.False(char.IsWhiteSpace(p[^1])));
        Assert.Equal(["short text"], TextChunker.Pieces("short text"));
    }

    [Fact]
    public void TextWithoutSpacesIsCutAtTheLimitOutsideSurrogatePairs()
    {
        var text = string.Concat(Enumerable.Repeat("a😀", 50));
        var pieces = TextChunker.Pieces(text, 8).ToList();
        Assert.Equal(text, string.Concat(pieces));
        Assert.All(pieces, p => Assert.False(char.IsHighSurrogate(p[^1])));
    }

    [Fact]
    public void Gpt2ChunkedIdsEqualWholeTextIdsForALongLine()
    {
        var tokenizer = new TextTokenizer(folder.Tokenizer, TokenizerKind.ByteLevelBpe, Gpt2TokenizerFiles.EndOfTextId + 1,
            null, Gpt2TokenizerFiles.EndOfTextId, null, addsBos: false);
        var text = LongLine(2 * TextChunker.MaxChars + 5_000);
        var whole = tokenizer.Encode(text, addSpecialTokens: false);
        var chunked = ((ITextTokenizer)tokenizer).EncodeLong(text).ToList();
        Assert.True(chunked.Count >= 3);
        Assert.Equal(whole, chunked.SelectMany(ids => ids));
    }

    [Fact]
    public void ASingleLineFileLongerThanAPiecePacksAsItsWholeText()
    {
        using var dir = new TempFolder();
        var text = LongLine(TextChunker.MaxChars + 10_000);
        var file = dir.Write("long.txt", text + "\n\nsecond document\nwith two lines\n");
        var tokenizer = new ByteTokenizer();
        var built = DatasetBuilder.Build(new DataOptions { Files = [file], ValidationFraction = 0, MaxTokens = 512, Seed = 1, Task = DataTask.CausalLanguageModeling }, tokenizer);
        var records = DataFileReader.Read(file).ToList();
        Assert.Equal([text, "second document\nwith two lines"], records.Select(r => r.Require("text")));
        // Reference: the old whole-stream packing, in whatever order the builder shuffled the documents.
        var expected = new List<int>();
        var packed = built.Train.SelectMany(b => b.InputIds).ToList();
        var order = packed[1] == text[0] + 3 ? records : [records[1], records[0]];
        foreach (var record in order) { expected.Add(1); expected.AddRange(tokenizer.Encode(record.Require("text"))); expected.Add(2); }
        var whole = expected.Count / 512 * 512 + (expected.Count % 512 >= 2 ? expected.Count % 512 : 0);
        Assert.Equal(expected.Take(whole), packed);
        Assert.All(built.Train.SkipLast(1), b => Assert.Equal(512, b.InputIds.Length));
        Assert.All(built.Train, b => Assert.Equal(b.InputIds, b.Labels));
    }
}
