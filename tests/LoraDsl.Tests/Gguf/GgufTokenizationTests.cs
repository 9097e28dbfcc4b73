using System.Text.Json.Nodes;
using LoraDsl.Checkpoints;
using LoraDsl.Gguf;
using LoraDsl.Tests.TestCheckpoints;
using LoraDsl.Tokenization;
using Xunit;

namespace LoraDsl.Tests.Gguf;

/// <summary>The tokenizer written into a GGUF gives, in the real llama.cpp, the ids LoraDsl's tokenizer gives.</summary>
public sealed class GgufTokenizationTests
{
    [Fact]
    public void Gpt2_byte_level_bpe_tokenizes_as_loradsl_does()
    {
        var folder = TinyCheckpoints.WriteGpt2(TinyCheckpoints.NewFolder("gguf-tok-gpt2"));
        var gguf = Export(folder);
        Assert.Equal("gpt2", LlamaCpp.Metadata(gguf)["tokenizer.ggml.model"]);
        Assert.Equal("gpt-2", LlamaCpp.Metadata(gguf)["tokenizer.ggml.pre"]);
        SameIds(folder, gguf, addSpecial: false,
            "hello world", "Tell the world: hello, hello!", " the  theorem\n\nworld's 12345 ll", "tabs\tand   spaces  ", "ünïcödé — ✓", "<|endoftext|>hello the world");
    }

    [Fact]
    public void Qwen_style_bpe_tokenizes_as_loradsl_does()
    {
        var folder = TinyCheckpoints.WriteLlama(TinyCheckpoints.NewFolder("gguf-tok-qwen"), new TinyLlamaSpec { ModelType = "qwen2" });
        var settings = JsonNode.Parse(File.ReadAllText(Path.Combine(folder, "tokenizer_config.json")))!.AsObject();
        settings["tokenizer_class"] = "Qwen2Tokenizer";
        File.WriteAllText(Path.Combine(folder, "tokenizer_config.json"), settings.ToJsonString());
        var gguf = Export(folder);
        Assert.Equal("qwen2", LlamaCpp.Metadata(gguf)["tokenizer.ggml.pre"]);
        SameIds(folder, gguf, addSpecial: false,
            "hello world", "The World'S 2024 numbers: 1234567\r\n\r\nnext", "  the  world \n\n\n hello", "ünïcödé — ✓ 7", "<|endoftext|>the");
    }

    [Fact]
    public void SentencePiece_tokenizer_model_tokenizes_as_loradsl_does()
    {
        var folder = TinyCheckpoints.WriteLlama(TinyCheckpoints.NewFolder("gguf-tok-spm"), new TinyLlamaSpec { SentencePieceTokenizer = true });
        var gguf = Export(folder);
        var metadata = LlamaCpp.Metadata(gguf);
        Assert.Equal("llama", metadata["tokenizer.ggml.model"]);
        Assert.Equal("1", metadata["tokenizer.ggml.bos_token_id"]);
        // The tiny model has no byte pieces, so texts stay within its letters (llama.cpp needs <0xNN> pieces for others).
        SameIds(folder, gguf, addSpecial: true, "hello world", "world hello", "hello hello world world", "helloworld", "he ll o wor ld");
    }

    static string Export(string folder)
    {
        using var model = ModelLoader.Load(folder);
        var gguf = Path.Combine(folder, "model.gguf");
        GgufExporter.ExportModel(model, folder, gguf, GgufTensorType.F32, writeModelfile: false);
        return gguf;
    }

    static void SameIds(string folder, string gguf, bool addSpecial, params string[] texts)
    {
        var tokenizer = TokenizerLoader.Load(folder);
        foreach (var text in texts)
        {
            var expected = tokenizer.Encode(text, addSpecialTokens: addSpecial).ToArray();
            var actual = LlamaCpp.Tokenize(gguf, text, addBos: addSpecial);
            Assert.True(expected.SequenceEqual(actual), $"'{text}': LoraDsl [{string.Join(", ", expected)}], llama.cpp [{string.Join(", ", actual)}]");
        }
    }
}
