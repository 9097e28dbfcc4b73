using System.Diagnostics;
using System.Text.RegularExpressions;
using LoraDsl.Tokenization;
using Microsoft.ML.Tokenizers;

namespace LoraDsl.Tests.Tokenization;

/// <summary>Writes the GPT-2 tokenizer files once per test class into a temp folder, deleted afterwards; times the write.</summary>
public sealed class Gpt2TokenizerFolder : IDisposable
{
    public Gpt2TokenizerFolder()
    {
        Folder = Directory.CreateTempSubdirectory("loradsl-gpt2tok-").FullName;
        var clock = Stopwatch.StartNew();
        Gpt2TokenizerFiles.Write(Folder);
        WriteTime = clock.Elapsed;
        // Plain byte-level BPE over the written files. CodeGenTokenizer.Create is not used: it adds CodeGen's
        // own whitespace-run tokens (ids 50257-50294), so it differs from GPT-2 on runs of spaces or tabs.
        Tokenizer = BpeTokenizer.Create(new BpeOptions(PathOf(Gpt2TokenizerFiles.VocabularyFileName), PathOf(Gpt2TokenizerFiles.MergesFileName))
        {
            ByteLevel = true,
            PreTokenizer = new RegexPreTokenizer(Gpt2Pattern, specialTokens: null),
        });
    }

    // GPT-2's pre-tokenizer pattern (the one tiktoken's "gpt2" and Hugging Face's ByteLevel use).
    static readonly Regex Gpt2Pattern = new(@"'s|'t|'re|'ve|'m|'ll|'d| ?\p{L}+| ?\p{N}+| ?[^\s\p{L}\p{N}]+|\s+(?!\S)|\s+", RegexOptions.Compiled);

    public string Folder { get; }

    public TimeSpan WriteTime { get; }

    /// <summary>A GPT-2 tokenizer built from the written vocab.json and merges.txt only.</summary>
    public BpeTokenizer Tokenizer { get; }

    public string PathOf(string fileName) => Path.Combine(Folder, fileName);

    public void Dispose()
    {
        if (Directory.Exists(Folder)) Directory.Delete(Folder, recursive: true);
    }
}
