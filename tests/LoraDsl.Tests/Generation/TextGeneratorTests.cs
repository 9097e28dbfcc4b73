using LoraDsl.Checkpoints;
using LoraDsl.Generation;
using LoraDsl.Models;
using LoraDsl.Tests.TestCheckpoints;
using LoraDsl.Tokenization;
using Xunit;
using static TorchSharp.torch;

namespace LoraDsl.Tests.Generation;

public class TextGeneratorTests
{
    static readonly long[] Prompt = [72, 101, 108, 108, 111];

    static (PretrainedModel Model, string Dir) Llama()
    {
        var dir = TinyCheckpoints.WriteLlama(TinyCheckpoints.NewFolder("gen"));
        return (ModelLoader.Load(dir), dir);
    }

    /// <summary>Greedy decoding by full forwards over the growing sequence, without a cache.</summary>
    static List<long> GreedyWithoutCache(PretrainedModel model, long[] prompt, int steps)
    {
        using var _ = no_grad();
        var sequence = prompt.ToList();
        for (var i = 0; i < steps; i++)
        {
            using var ids = tensor(sequence.ToArray()).unsqueeze(0);
            using var logits = model.Forward(new ModelInputs(ids));
            sequence.Add(logits[0, -1].argmax().item<long>());
        }
        return sequence[prompt.Length..];
    }

    [Fact]
    public void Greedy_is_deterministic_and_matches_uncached_argmax()
    {
        var (model, _) = Llama();
        using var __ = model;
        var options = new GenerationOptions { MaxNewTokens = 8, EosTokenIds = [] };
        var first = new TextGenerator(model).Generate(Prompt, options);
        var second = new TextGenerator(model).Generate(Prompt, options);
        Assert.Equal(8, first.Count);
        Assert.Equal(first, second);
        Assert.Equal(GreedyWithoutCache(model, Prompt, 8), first);
        Assert.Equal(first, new TextGenerator(model).Generate(Prompt, options with { Temperature = 1.5, TopK = 1, Seed = 9 }));
    }

    [Fact]
    public void Seeded_sampling_repeats_and_seeds_differ()
    {
        var (model, _) = Llama();
        using var __ = model;
        var options = new GenerationOptions { MaxNewTokens = 16, Temperature = 5, Seed = 123, EosTokenIds = [] };
        var generator = new TextGenerator(model);
        var a = generator.Generate(Prompt, options);
        Assert.Equal(a, generator.Generate(Prompt, options));
        Assert.NotEqual(a, generator.Generate(Prompt, options with { Seed = 321 }));
        var limited = generator.Generate(Prompt, options with { TopK = 3 });
        Assert.Equal(16, limited.Count);
    }

    [Fact]
    public void Stops_before_eos()
    {
        var (model, _) = Llama();
        using var __ = model;
        var generator = new TextGenerator(model);
        var greedy = generator.Generate(Prompt, new GenerationOptions { MaxNewTokens = 6, EosTokenIds = [] }).ToList();
        var stopped = generator.Generate(Prompt, new GenerationOptions { MaxNewTokens = 6, EosTokenIds = [greedy[2]] });
        Assert.Equal(greedy[..greedy.IndexOf(greedy[2])], stopped);
    }

    [Fact]
    public void Top_p_keeps_only_the_dominant_token()
    {
        using var logits = tensor(new float[] { 0, 6, 0, 0, 0 });
        var options = new GenerationOptions { Temperature = 1, TopP = 0.5 };
        for (ulong seed = 0; seed < 20; seed++)
        {
            using var g = new Generator(seed);
            Assert.Equal(1, TextGenerator.Pick(logits, options, g));
        }
        using var flat = tensor(new float[] { 1, 1, 1, 1 });
        var seen = new HashSet<long>();
        for (ulong seed = 0; seed < 40; seed++)
        {
            using var g = new Generator(seed);
            seen.Add(TextGenerator.Pick(flat, options with { TopP = 1 }, g));
        }
        Assert.True(seen.Count > 1);
    }

    [Fact]
    public void Llama_with_sentencepiece_tokenizer_generates_text()
    {
        var dir = TinyCheckpoints.WriteLlama(TinyCheckpoints.NewFolder("genspm"), new TinyLlamaSpec { SentencePieceTokenizer = true });
        using var model = ModelLoader.Load(dir);
        var tokenizer = TokenizerLoader.Load(dir);
        Assert.Equal(TokenizerKind.SentencePiece, tokenizer.Kind);
        var generator = new TextGenerator(model, tokenizer);
        var options = new GenerationOptions { MaxNewTokens = 4, EosTokenIds = [] };
        var ids = generator.Generate(tokenizer.Encode("hello world").Select(i => (long)i).ToList(), options);
        Assert.Equal(4, ids.Count);
        Assert.Equal(tokenizer.Decode(ids.Select(i => (int)i)), generator.Generate("hello world", options));
    }

    [Fact]
    public void Text_in_text_out_with_the_folder_tokenizer()
    {
        var dir = TinyCheckpoints.WriteGpt2(TinyCheckpoints.NewFolder("gentext"));
        using var model = ModelLoader.Load(dir);
        var tokenizer = TokenizerLoader.Load(dir);
        var generator = new TextGenerator(model, tokenizer);
        var options = new GenerationOptions { MaxNewTokens = 5 };
        var text = generator.Generate("the world", options);
        var ids = generator.Generate(tokenizer.Encode("the world").Select(i => (long)i).ToList(), options);
        Assert.Equal(tokenizer.Decode(ids.Select(i => (int)i)), text);
        Assert.True(ids.Count <= 5);
        Assert.DoesNotContain((long)tokenizer.EosId!.Value, ids);
    }
}
