using System.Diagnostics;
using System.Globalization;
using LoraDsl.Training;
using TorchSharp;
using static TorchSharp.torch;

namespace Benchmark;

/// <summary>
/// `--parts`: the pieces of the step that docs/benchmark.md discusses, each timed on its own (min and
/// median of several runs, because a shared machine drifts): the LM head's matmul layouts, the LM head
/// plus loss through logits versus the chunked cross-entropy at several block sizes, and attention
/// fused (SDPA) versus unfused. GPT-2 small shapes: 4 × 256 tokens, 768 wide, 12 heads, vocab 50,257.
/// </summary>
public static class PartsRun
{
    const long Tokens = 1024, Width = 768, Vocab = 50257, Batch = 4, Sequence = 256, Heads = 12;

    public static void Run(int repeats)
    {
        manual_seed(0);
        using var weight = randn(Vocab, Width) * 0.02f;
        using var hidden = randn(Tokens, Width);
        using var targets = randint(0, Vocab, [Tokens]);
        var flops = 2.0 * Tokens * Width * Vocab;

        Console.WriteLine($"LM head matmul [{Tokens}, {Width}] x [{Width}, {Vocab}]:");
        Time("  x · Wᵀ", repeats, () => hidden.mm(weight.t()).Dispose(), flops);
        Time("  (W · xᵀ)ᵀ", repeats, () => weight.mm(hidden.t()).Dispose(), flops);

        Console.WriteLine("LM head + cross-entropy, forward and backward to the hidden states:");
        Time("  logits, then cross_entropy", repeats, () =>
        {
            using var scope = NewDisposeScope();
            var h = hidden.detach().requires_grad_(true);
            nn.functional.cross_entropy(nn.functional.linear(h, weight), targets).backward();
        });
        foreach (var rows in new long[] { 256, 333, 512, 1024 })
            Time($"  chunked, {rows}-row blocks{(rows == ChunkedLinearCrossEntropy.RowsPerBlock(Vocab) ? " (default)" : "")}", repeats, () =>
            {
                using var scope = NewDisposeScope();
                var h = hidden.detach().requires_grad_(true);
                ChunkedLinearCrossEntropy.Compute(h, weight, targets, nn.Reduction.Mean, rows).Loss.backward();
            });

        Console.WriteLine($"attention of one layer [{Batch}, {Heads}, {Sequence}, {Width / Heads}], causal, forward and backward:");
        using var qkv = randn(Batch, Sequence, 3 * Width);
        using var mask = ones(Sequence, Sequence, dtype: ScalarType.Bool).triu(1);
        Time("  scaled_dot_product_attention", repeats, () => Attention(qkv, null));
        Time("  matmul, mask, softmax, matmul", repeats, () => Attention(qkv, mask));
    }

    static void Attention(Tensor qkv, Tensor? unfusedMask)
    {
        using var scope = NewDisposeScope();
        var x = qkv.detach().requires_grad_(true);
        var parts = x.split(Width, 2);
        Tensor SplitHeads(Tensor t) => t.view(Batch, Sequence, Heads, Width / Heads).transpose(1, 2);
        var (q, k, v) = (SplitHeads(parts[0]), SplitHeads(parts[1]), SplitHeads(parts[2]));
        var attended = unfusedMask is null
            ? nn.functional.scaled_dot_product_attention(q, k, v, null, 0.0, true)
            : q.matmul(k.transpose(-2, -1)).mul_(1.0 / Math.Sqrt(Width / Heads)).masked_fill(unfusedMask, float.NegativeInfinity).softmax(-1).matmul(v);
        attended.transpose(1, 2).reshape(Batch, Sequence, Width).sum().backward();
    }

    static void Time(string name, int repeats, Action action, double flops = 0)
    {
        action();
        var seconds = new List<double>();
        for (var i = 0; i < repeats; i++)
        {
            var clock = Stopwatch.StartNew();
            action();
            seconds.Add(clock.Elapsed.TotalSeconds);
        }
        var median = StepMeasurement.Median(seconds);
        seconds.Sort();
        var rate = flops > 0 ? string.Create(CultureInfo.InvariantCulture, $"   {flops / seconds[0] / 1e9,6:F1} GFLOP/s at the min") : "";
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"{name,-44} min {seconds[0] * 1000,7:F0} ms   median {median * 1000,7:F0} ms{rate}"));
    }
}
