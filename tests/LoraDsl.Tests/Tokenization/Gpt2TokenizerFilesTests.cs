using System.Diagnostics;
using System.Text.Json;
using LoraDsl.Tokenization;
using Microsoft.ML.Tokenizers;
using Xunit;
using Xunit.Abstractions;

namespace LoraDsl.Tests.Tokenization;

public class Gpt2TokenizerFilesTests : IClassFixture<Gpt2TokenizerFolder>
{
    // The reference: GPT-2's own ranks through tiktoken, not through our files.
    static readonly TiktokenTokenizer Reference = TiktokenTokenizer.CreateForModel("gpt2");

    readonly Gpt2TokenizerFolder _folder;
    readonly ITestOutputHelper _output;
    readonly BpeTokenizer _tokenizer;

    public Gpt2TokenizerFilesTests(Gpt2TokenizerFolder folder, ITestOutputHelper output)
    {
        _folder = folder;
        _output = output;
        _tokenizer = folder.Tokenizer;
    }

    [Fact]
    public void Hello_world_is_15496_995()
    {
        _output.WriteLine($"Gpt2TokenizerFiles.Write took {_folder.WriteTime.TotalMilliseconds:F0} ms");
        Assert.Equal([15496, 995], _tokenizer.EncodeToIds("Hello world"));
    }

    [Theory]
    [InlineData("Hello world")]
    [InlineData("Hello, world! How's it going? I'm fine; you'll see: we'd all (mostly) agree.")]
    [InlineData("Punctuation: ... !!! ??? --- *** ### @@@ $$$ %%% ^^^ &&& ~~~ ``` ||| \\\\ // [] {} <> \"quoted\"")]
    [InlineData("Digits 0 1 12 123 1234 12345 3.14159 1,000,000 2026-11-28 0x1F 1e-9")]
    [InlineData("Unicode: café naïve Zürich, Ελληνικά, русский, 日本語のテキスト, 한국어, עברית, العربية")]
    [InlineData("Emoji 🚀🔥👍🏽 and symbols ∑∫√∞ ≠ ≤ ≥ € £ ¥ © ® ™ ½ ¼")]
    [InlineData("   three leading spaces and trailing ones   ")]
    [InlineData(" single leading space")]
    [InlineData("line one\nline two\n\nafter a blank line\r\nwindows line\n\n\n")]
    [InlineData("\ttabs\tand\t\tdouble tabs\t")]
    [InlineData("CamelCaseIdentifiers snake_case_names kebab-case URLs https://example.com/a?b=c&d=e")]
    [InlineData("def f(x):\n    return x ** 2  # indented code\n")]
    [InlineData("\u00ad soft hyphen, \u00a0 no-break space, \u200b zero width, \u0000 nul, \u007f del")]
    public void Ids_match_tiktoken_gpt2_and_decoding_round_trips(string text) => AssertSameAsReference(text);

    [Fact]
    public void Ids_match_tiktoken_gpt2_on_moby_dick()
    {
        var book = File.ReadAllText(MobyDickPath());
        var paragraphs = book.Split("\n\n", StringSplitOptions.RemoveEmptyEntries);
        Assert.True(paragraphs.Length > 500, $"moby-dick.txt has only {paragraphs.Length} paragraphs");
        // Paragraphs from the start, the middle and the end, and one long run of text as a whole.
        foreach (var index in new[] { 0, 1, 2, 3, 100, 101, paragraphs.Length / 2, paragraphs.Length / 2 + 1, paragraphs.Length - 2, paragraphs.Length - 1 })
            AssertSameAsReference(paragraphs[index]);
        AssertSameAsReference(book.Substring(book.Length / 3, 60_000));
    }

    [Fact]
    public void Vocabulary_has_all_50257_ids_once_with_gpt2_byte_to_unicode_tokens()
    {
        using var vocab = JsonDocument.Parse(File.ReadAllBytes(_folder.PathOf(Gpt2TokenizerFiles.VocabularyFileName)));
        var ids = vocab.RootElement.EnumerateObject().ToDictionary(p => p.Name, p => p.Value.GetInt32());
        Assert.Equal(50257, ids.Count);
        Assert.Equal(Enumerable.Range(0, 50257), ids.Values.Order());
        Assert.Equal(Gpt2TokenizerFiles.EndOfTextId, ids[Gpt2TokenizerFiles.EndOfTextToken]);
        Assert.Equal(0, ids["!"]);
        Assert.Equal(220, ids["\u0120"]);        // byte 32 (space) is the 33rd remapped byte: 256 + 32
        Assert.Equal(198, ids["\u010a"]);        // byte 10 (newline): 256 + 10
        Assert.Equal(995, ids["\u0120world"]);
        Assert.Equal(15496, ids["Hello"]);
        Assert.Equal(188, ids["\u0100"]);        // byte 0
        Assert.Equal(ids.Count, ids.Keys.Distinct(StringComparer.Ordinal).Count());
    }

    [Fact]
    public void Merges_are_the_50000_gpt2_merges_in_rank_order()
    {
        var lines = File.ReadAllLines(_folder.PathOf(Gpt2TokenizerFiles.MergesFileName));
        Assert.Equal("#version: 0.2", lines[0]);
        Assert.Equal(50001, lines.Length);
        Assert.Equal("\u0120 t", lines[1]);
        Assert.Equal("\u0120 a", lines[2]);
        Assert.Equal("h e", lines[3]);

        using var vocab = JsonDocument.Parse(File.ReadAllBytes(_folder.PathOf(Gpt2TokenizerFiles.VocabularyFileName)));
        var ids = vocab.RootElement.EnumerateObject().ToDictionary(p => p.Name, p => p.Value.GetInt32());
        for (var i = 1; i < lines.Length; i++)
        {
            var parts = lines[i].Split(' ');
            Assert.Equal(2, parts.Length);
            var merged = ids[parts[0] + parts[1]];
            // Merge n makes token 256 + n out of two tokens that already exist.
            Assert.Equal(255 + i, merged);
            Assert.True(ids[parts[0]] < merged && ids[parts[1]] < merged, $"merge line {i} '{lines[i]}'");
        }
    }

    [Fact]
    public void Config_files_name_endoftext_as_bos_eos_and_unk()
    {
        foreach (var file in new[] { Gpt2TokenizerFiles.TokenizerConfigFileName, Gpt2TokenizerFiles.SpecialTokensMapFileName })
        {
            using var json = JsonDocument.Parse(File.ReadAllBytes(_folder.PathOf(file)));
            foreach (var key in new[] { "bos_token", "eos_token", "unk_token" })
                Assert.Equal("<|endoftext|>", json.RootElement.GetProperty(key).GetString());
        }
        using var config = JsonDocument.Parse(File.ReadAllBytes(_folder.PathOf(Gpt2TokenizerFiles.TokenizerConfigFileName)));
        Assert.False(config.RootElement.GetProperty("add_prefix_space").GetBoolean());
    }

    [Fact]
    public void Rewriting_over_existing_files_gives_the_same_bytes_and_leaves_no_temp_files()
    {
        var folder = Directory.CreateTempSubdirectory("loradsl-gpt2tok-").FullName;
        try
        {
            // A stale, larger vocab.json must be replaced whole, not overwritten in place.
            File.WriteAllText(Path.Combine(folder, Gpt2TokenizerFiles.VocabularyFileName), new string('x', 5_000_000));
            var clock = Stopwatch.StartNew();
            Gpt2TokenizerFiles.Write(folder);
            _output.WriteLine($"second Gpt2TokenizerFiles.Write took {clock.Elapsed.TotalMilliseconds:F0} ms");

            var written = Directory.GetFiles(folder).Select(f => Path.GetFileName(f)).Order(StringComparer.Ordinal).ToArray();
            Assert.Equal(["merges.txt", "special_tokens_map.json", "tokenizer_config.json", "vocab.json"], written);
            foreach (var file in written)
                Assert.Equal(File.ReadAllBytes(_folder.PathOf(file)), File.ReadAllBytes(Path.Combine(folder, file)));
        }
        finally
        {
            Directory.Delete(folder, recursive: true);
        }
    }

    void AssertSameAsReference(string text)
    {
        var expected = Reference.EncodeToIds(text);
        var actual = _tokenizer.EncodeToIds(text);
        Assert.Equal(expected, actual);
        Assert.Equal(text, _tokenizer.Decode(actual));
    }

    /// <summary>The shared datasets folder: $LORADSL_DATASETS, a shared/datasets above the test binaries, or /work/shared/datasets.</summary>
    static string MobyDickPath()
    {
        const string file = "moby-dick.txt";
        if (Environment.GetEnvironmentVariable("LORADSL_DATASETS") is { Length: > 0 } fromEnvironment)
            return Path.Combine(fromEnvironment, file);
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            var candidate = Path.Combine(dir.FullName, "shared", "datasets", file);
            if (File.Exists(candidate)) return candidate;
        }
        var fallback = Path.Combine("/work/shared/datasets", file);
        Assert.True(File.Exists(fallback), $"{file} not found: set LORADSL_DATASETS to the folder holding it");
        return fallback;
    }
}
