using LoraDsl.Tests.Examples;
using LoraDsl.Tests.TestCheckpoints;
using LoraDsl.Tests.Training;
using LoraDsl.Tokenization;
using Xunit;

namespace LoraDsl.Tests.Errors;

/// <summary>A tokenizer file that exists but is corrupt is reported as unreadable, by file; only absent files are reported as missing.</summary>
[Collection(TorchRandomCollection.Name)]
public class CorruptTokenizerTests
{
    static readonly string[] MissingWords = ["missing", "not found", "has no tokenizer", "does not exist"];

    /// <summary>A tiny GPT-2 folder whose only tokenizer file is <paramref name="file"/> with <paramref name="bytes"/>; null writes none.</summary>
    static string Gpt2With(string? file, byte[]? bytes)
    {
        var checkpoint = TinyCheckpoints.WriteGpt2(TinyCheckpoints.NewFolder("corrupt-tok"));
        File.Delete(Path.Combine(checkpoint, "vocab.json"));
        File.Delete(Path.Combine(checkpoint, "merges.txt"));
        if (file is not null) File.WriteAllBytes(Path.Combine(checkpoint, file), bytes!);
        return checkpoint;
    }

    static void AssertUnreadable(string message, string path)
    {
        Assert.Contains(path, message);
        Assert.Contains("unreadable", message);
        foreach (var word in MissingWords) Assert.DoesNotContain(word, message, StringComparison.OrdinalIgnoreCase);
    }

    public static TheoryData<string, byte[]> CorruptFiles => new()
    {
        { "tokenizer.json", [0x00, 0xFF, 0x13, 0x37, 0x7B] },
        { "tokenizer.json", "{\"model\": {\"type\": \"BPE\", \"vocab\": {\"a\": 0"u8.ToArray() },
        { "tokenizer.json", "[1, 2, 3]"u8.ToArray() },
        { "vocab.txt", [0x00, 0xFF, 0x13, 0x37, 0x0A, 0xC3] },
        { "vocab.txt", [] },
        { "tokenizer.model", [0x00, 0xFF, 0x13, 0x37, 0x0A, 0xC3] },
    };

    [Theory]
    [MemberData(nameof(CorruptFiles))]
    public void Generate_names_a_corrupt_tokenizer_file_as_unreadable(string file, byte[] bytes)
    {
        var checkpoint = Gpt2With(file, bytes);
        var path = Path.Combine(checkpoint, file);
        var (exit, _, stderr) = CliCapture.Run(["generate", "--model", checkpoint, "--device", "cpu", "--prompt", "ab"]);
        Assert.Equal(1, exit);
        AssertUnreadable(stderr, path);
        AssertUnreadable(Assert.Throws<TokenizerFormatException>(() => TokenizerLoader.Load(checkpoint)).Message, path);
    }

    [Fact]
    public void Predict_names_a_corrupt_bert_vocab_txt_as_unreadable()
    {
        var model = TinyCheckpoints.NewFolder("corrupt-vocab");
        TinyBert.Write(model, seed: 1, numLabels: 2);
        var vocab = Path.Combine(model, "vocab.txt");
        File.WriteAllBytes(vocab, [0x00, 0xFF, 0x13, 0x37, 0x0A, 0xC3]);
        var (exit, _, stderr) = CliCapture.Run(["predict", "--model", model, "--device", "cpu", "--text", "hello"]);
        Assert.Equal(1, exit);
        AssertUnreadable(stderr, vocab);
    }

    [Fact]
    public void A_corrupt_tokenizer_config_is_named_as_unreadable()
    {
        var checkpoint = TinyCheckpoints.WriteGpt2(TinyCheckpoints.NewFolder("corrupt-tok-config"));
        var config = Path.Combine(checkpoint, "tokenizer_config.json");
        File.WriteAllText(config, "{oops");
        AssertUnreadable(Assert.Throws<TokenizerFormatException>(() => TokenizerLoader.Load(checkpoint)).Message, config);
        File.WriteAllText(config, "[]");
        AssertUnreadable(Assert.Throws<TokenizerFormatException>(() => TokenizerLoader.Load(checkpoint)).Message, config);
    }

    [Fact]
    public void Generate_without_tokenizer_files_says_they_are_missing()
    {
        var checkpoint = Gpt2With(null, null);
        var (exit, _, stderr) = CliCapture.Run(["generate", "--model", checkpoint, "--device", "cpu", "--prompt", "ab"]);
        Assert.Equal(1, exit);
        Assert.Contains(checkpoint, stderr);
        Assert.Contains("missing", stderr);
        Assert.Contains("tokenizer.json", stderr);
        Assert.DoesNotContain("unreadable", stderr);
        Assert.IsType<TokenizerNotFoundException>(Record.Exception(() => TokenizerLoader.Load(checkpoint)));
    }
}
