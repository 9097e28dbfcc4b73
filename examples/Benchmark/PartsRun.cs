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
        MatmulPaths(repeats);
        LlamaLayerParts(repeats);
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

    /// <summary>
    /// The LLaMA-125M step's matmul shapes (1,024 tokens) in the dtypes the rows use: fp32 (MKL), bf16 (oneDNN when the CPU
    /// has AVX-512 BF16/AMX, else ATen's reference GEMM), and bf16 storage computed in fp32 (both operands cast first).
    /// </summary>
    static void MatmulPaths(int repeats)
    {
        Console.WriteLine($"matmuls of the LLaMA-125M step, x [1024, in] · Wᵀ, forward only; bf16 through oneDNN needs avx512bw/vl/dq or AMX (this CPU: {CpuInfo.Describe()})");
        foreach (var (name, inFeatures, outFeatures) in new[] { ("q/o_proj", 768L, 768L), ("k/v_proj", 768L, 256L), ("gate/up_proj", 768L, 2048L), ("down_proj", 2048L, 768L) })
        {
            using var x = randn(Tokens, inFeatures);
            using var w = randn(outFeatures, inFeatures);
            using var xb = x.to(ScalarType.BFloat16);
            using var wb = w.to(ScalarType.BFloat16);
            var flops = 2.0 * Tokens * inFeatures * outFeatures;
            Time($"  {name} fp32", repeats, () => nn.functional.linear(x, w).Dispose(), flops);
            Time($"  {name} bf16", repeats, () => nn.functional.linear(xb, wb).Dispose(), flops);
            Time($"  {name} bf16 stored, cast, fp32 GEMM", repeats, () =>
            {
                using var scope = NewDisposeScope();
                nn.functional.linear(xb.to(ScalarType.Float32), wb.to(ScalarType.Float32)).to(ScalarType.BFloat16);
            }, flops);
        }
    }

    /// <summary>The non-matmul ops of one LLaMA-125M layer in bf16, forward and backward: RMSNorm, RoPE, GQA repeat + SDPA, SwiGLU.</summary>
    static void LlamaLayerParts(int repeats)
    {
        Console.WriteLine("one LLaMA-125M layer's other ops, bf16, [4, 256, 768], forward and backward (x 12 layers per step; norms x 2):");
        manual_seed(0);
        using var hidden = randn(Batch, Sequence, Width).to(ScalarType.BFloat16);
        using var norm = new LoraDsl.Modules.RmsNorm(Width, 1e-5, ScalarType.BFloat16);
        Time("  RMSNorm (fp32 inside, as HF)", repeats, () => Backward(() => norm.call(hidden.detach().requires_grad_(true))));
        using var q = randn(Batch, Heads, Sequence, 64).to(ScalarType.BFloat16);
        var config = new LoraDsl.Models.Llama.LlamaConfig
        {
            ModelType = "llama", Raw = [], HiddenSize = 768, NumAttentionHeads = 12, NumKeyValueHeads = 4, HeadDim = 64, IntermediateSize = 2048, NumLayers = 1, VocabSize = 32000,
        };
        using var positions = arange(Sequence).unsqueeze(0).expand(Batch, Sequence);
        var (cos, sin) = LoraDsl.Models.Llama.LlamaRotaryEmbedding.CosSin(positions, config, ScalarType.BFloat16);
        Time("  RoPE on q [4, 12, 256, 64]", repeats, () => Backward(() => LoraDsl.Models.Llama.LlamaRotaryEmbedding.Apply(q.detach().requires_grad_(true), cos, sin)));
        using var kv = randn(Batch, 4, Sequence, 64).to(ScalarType.BFloat16);
        Time("  repeat k,v 4 -> 12 heads + SDPA (causal)", repeats, () => Backward(() =>
        {
            var (qq, k, v) = (q.detach().requires_grad_(true), kv.detach().requires_grad_(true), kv.detach().requires_grad_(true));
            return nn.functional.scaled_dot_product_attention(qq, LoraDsl.Models.Llama.LlamaAttention.RepeatHeads(k, 3), LoraDsl.Models.Llama.LlamaAttention.RepeatHeads(v, 3), null, 0.0, true);
        }));
        // The flash kernel's blocks call the same bf16 GEMM as matmuls: on a CPU without native bf16 it takes the reference path too.
        Time("  repeat k,v + SDPA, q/k/v upcast to fp32", repeats, () => Backward(() =>
        {
            var (qq, k, v) = (q.detach().requires_grad_(true), kv.detach().requires_grad_(true), kv.detach().requires_grad_(true));
            var (q32, k32, v32) = (qq.to(ScalarType.Float32), LoraDsl.Models.Llama.LlamaAttention.RepeatHeads(k, 3).to(ScalarType.Float32), LoraDsl.Models.Llama.LlamaAttention.RepeatHeads(v, 3).to(ScalarType.Float32));
            return nn.functional.scaled_dot_product_attention(q32, k32, v32, null, 0.0, true).to(ScalarType.BFloat16);
        }));
        using var gate = randn(Batch, Sequence, 2048).to(ScalarType.BFloat16);
        Time("  SwiGLU silu(gate) * up [4, 256, 2048]", repeats, () => Backward(() =>
        {
            var (g, u) = (gate.detach().requires_grad_(true), gate.detach().requires_grad_(true));
            return nn.functional.silu(g) * u;
        }));
        Time("  residual add [4, 256, 768]", repeats, () => Backward(() => hidden.detach().requires_grad_(true) + hidden));
        cos.Dispose();
        sin.Dispose();
    }

    static void Backward(Func<Tensor> forward)
    {
        using var scope = NewDisposeScope();
        var y = forward();
        y.backward([ones_like(y)]);
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
