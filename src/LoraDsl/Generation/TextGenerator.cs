using LoraDsl.Models;
using LoraDsl.Modules;
using LoraDsl.Tokenization;
using TorchSharp;
using static TorchSharp.torch;

namespace LoraDsl.Generation;

/// <summary>Autoregressive decoding of a causal language model with a KV cache: greedy, temperature, top-k, top-p.</summary>
public sealed class TextGenerator
{
    readonly PretrainedModel model;
    readonly TextTokenizer? tokenizer;

    public TextGenerator(PretrainedModel model, TextTokenizer? tokenizer = null)
    {
        if (model.Task != ModelTask.CausalLanguageModeling)
            throw new ArgumentException($"{model.GetType().Name} is a {model.Task} model; text generation needs a causal language model.");
        this.model = model;
        this.tokenizer = tokenizer;
    }

    /// <summary>The new token ids after <paramref name="promptIds"/>, stopping before an EOS id or at MaxNewTokens.</summary>
    public IReadOnlyList<long> Generate(IReadOnlyList<long> promptIds, GenerationOptions? options = null) => Generate(promptIds, options, onToken: null);

    /// <summary>As <see cref="Generate(IReadOnlyList{long}, GenerationOptions?)"/>, handing each new token to <paramref name="onToken"/> as it comes (streaming).</summary>
    public IReadOnlyList<long> Generate(IReadOnlyList<long> promptIds, GenerationOptions? options, Action<long>? onToken)
    {
        options ??= new GenerationOptions();
        if (promptIds.Count == 0) throw new ArgumentException("The prompt has no tokens; generation needs at least one (a BOS id, for example).");
        if (options.TopP is <= 0 or > 1) throw new ArgumentException($"TopP {options.TopP} must be in (0, 1].");
        var eos = (options.EosTokenIds ?? DefaultEos()).ToHashSet();
        var device = model.parameters().First().device;
        var generator = options.Temperature > 0
            ? new Generator(options.Seed ?? (ulong)Random.Shared.NextInt64(), device)
            : null;
        var wasTraining = model.training;
        model.eval();
        var produced = new List<long>();
        try
        {
            using var _ = no_grad();
            using var cache = new KvCache(model.Config.NumLayers);
            var next = promptIds.ToArray();
            for (var step = 0; step < options.MaxNewTokens; step++)
            {
                using var scope = NewDisposeScope();
                var ids = tensor(next, ScalarType.Int64, device).unsqueeze(0);
                var last = LastLogits(new ModelInputs(ids) { Cache = cache });
                var token = Pick(last, options, generator);
                if (eos.Contains(token)) break;
                produced.Add(token);
                onToken?.Invoke(token);
                next = [token];
            }
        }
        finally
        {
            generator?.Dispose();
            model.train(wasTraining);
        }
        return produced;
    }

    /// <summary>
    /// Logits [vocab] of the last position. A causal LM projects only that position's hidden state:
    /// the prompt's other positions would cost a [prompt, vocab] product nobody reads.
    /// </summary>
    Tensor LastLogits(ModelInputs inputs)
    {
        if (model is ICausalLanguageModel causal)
        {
            using var hidden = causal.ForwardHidden(inputs);
            using var lastHidden = hidden[.., ^1..];
            using var logits = causal.Softcap(UpcastLinear.Call(causal.OutputHead, lastHidden));
            return logits[0, -1].to(ScalarType.Float32);
        }
        using var all = model.Forward(inputs);
        return all[0, -1].to(ScalarType.Float32);
    }

    /// <summary>Encodes <paramref name="prompt"/>, generates, and decodes the new tokens.</summary>
    public string Generate(string prompt, GenerationOptions? options = null)
    {
        var text = tokenizer ?? throw new InvalidOperationException("TextGenerator was created without a tokenizer; pass token ids or a TextTokenizer.");
        var ids = text.Encode(prompt).Select(i => (long)i).ToList();
        if (ids.Count == 0 && text.BosId is { } bos) ids.Add(bos);
        return text.Decode(Generate(ids, options).Select(i => (int)i));
    }

    /// <summary>The next token from last-position logits [vocab].</summary>
    public static long Pick(Tensor logits, GenerationOptions options, Generator? generator)
    {
        using var scope = NewDisposeScope();
        if (options.Temperature <= 0) return Native.HostMemory.Item<long>(logits.argmax());
        var scaled = logits / options.Temperature;
        if (options.TopK > 0 && options.TopK < scaled.shape[0])
        {
            var kth = scaled.topk(options.TopK).values[-1];
            scaled = scaled.masked_fill(scaled.lt(kth), double.NegativeInfinity);
        }
        if (options.TopP < 1)
        {
            var (sorted, order) = scaled.sort(descending: true);
            var probabilities = sorted.softmax(0);
            // Drop a token when the more likely ones already reach p; the most likely always stays.
            var before = probabilities.cumsum(0) - probabilities;
            var drop = before.ge(options.TopP);
            var dropInVocabOrder = zeros_like(drop).scatter(0, order, drop);
            scaled = scaled.masked_fill(dropInVocabOrder, double.NegativeInfinity);
        }
        var distribution = scaled.softmax(0);
        return Native.HostMemory.Item<long>(multinomial(distribution, 1, false, generator));
    }

    IReadOnlyList<long> DefaultEos() => StopTokens.Of(model.Config, tokenizer?.EosId);
}
