using LoraDsl.Data;
using LoraDsl.Modules;
using TorchSharp;
using static TorchSharp.torch;

namespace LoraDsl.Training;

/// <summary>
/// Cross-entropy of a bias-free output projection (<c>lm_head</c>) over hidden states, computed a
/// block of token rows at a time so the [tokens, vocab] logits never exist whole — the idea behind
/// Liger-Kernel's and Unsloth's fused linear cross-entropy. When gradients are needed, each block's
/// softmax is turned into the gradients of the hidden states (and of the weight, when it trains) as
/// soon as it is computed; backward then only hands those to autograd. Equal to
/// <c>cross_entropy(hidden · Wᵀ, targets, ignore_index: -100)</c> in value and gradient.
/// </summary>
internal static class ChunkedLinearCrossEntropy
{
    /// <summary>Logit elements per block at most (128 MB in fp32): 512 rows for GPT-2's 50,257-token vocabulary.</summary>
    public const long BlockElements = 1L << 25;

    /// <summary>
    /// Loss of <paramref name="hidden"/> [..., d] projected by <paramref name="weight"/> [vocab, d]
    /// against <paramref name="targets"/> (same leading shape, int64, -100 ignored), mean over the
    /// counted targets or their sum; also returns that count. With <paramref name="softcap"/> c the logits are
    /// c·tanh(hidden · Wᵀ / c) (Gemma 2's final_logit_softcapping).
    /// </summary>
    public static (Tensor Loss, long Count) Compute(Tensor hidden, Tensor weight, Tensor targets, nn.Reduction reduction, long? blockRows = null, double? softcap = null)
    {
        if (weight.dim() != 2 || hidden.shape[^1] != weight.shape[1])
            throw new ArgumentException($"Output weight [{string.Join(", ", weight.shape)}] does not project hidden states [{string.Join(", ", hidden.shape)}].");
        if (reduction == nn.Reduction.None) throw new ArgumentException("Chunked cross-entropy returns a mean or a sum, not per-token losses.", nameof(reduction));
        var vocab = weight.shape[0];
        var rows = blockRows ?? RowsPerBlock(vocab);
        using var scope = NewDisposeScope();
        var h = hidden.reshape(-1, hidden.shape[^1]);
        var y = targets.reshape(-1).to(h.device);
        if (y.shape[0] != h.shape[0])
            throw new ArgumentException($"{y.shape[0]} targets for {h.shape[0]} hidden rows.");
        var counted = y.ne(TokenizedExample.IgnoreIndex);
        var count = Native.HostMemory.Item<long>(counted.sum());
        if (count < h.shape[0])
        {
            // Only trained rows reach the head: prompt, padding and masked turns never cost a [rows, vocab] block.
            var trained = counted.nonzero().squeeze(1);
            h = h.index_select(0, trained);
            y = y.index_select(0, trained);
            counted = y.ne(TokenizedExample.IgnoreIndex);
        }
        var tokens = h.shape[0];
        var scale = reduction == nn.Reduction.Mean ? 1.0 / count : 1.0; // mean over nothing is NaN, as in PyTorch
        var hiddenNeedsGrad = is_grad_enabled() && h.requires_grad;
        var weightNeedsGrad = is_grad_enabled() && weight.requires_grad;

        Tensor total;
        Tensor? hiddenGrad = null, weightGrad = null;
        using (no_grad())
        {
            // Without native bf16 matmuls a bf16 head is upcast once per call, not per block (BFloat16Matmul).
            var productDtype = BFloat16Matmul.ProductDtype(weight);
            var hd = h.detach().to(productDtype);
            var wd = weight.detach().to(productDtype);
            total = zeros(1, dtype: ScalarType.Float32, device: h.device);
            if (hiddenNeedsGrad) hiddenGrad = empty_like(h);
            if (weightNeedsGrad) weightGrad = zeros_like(weight);
            for (long start = 0; start < tokens; start += rows)
            {
                using var block = NewDisposeScope();
                var length = Math.Min(rows, tokens - start);
                var x = hd.narrow(0, start, length);
                var mask = counted.narrow(0, start, length);
                var target = y.narrow(0, start, length).masked_fill(mask.logical_not(), 0).unsqueeze(0);
                var weights = mask.to(ScalarType.Float32);
                // [vocab, rows]: W·xᵀ runs faster than x·Wᵀ in libtorch's MKL on AMD CPUs (examples/Benchmark --parts).
                var logits = wd.mm(x.t()).to(ScalarType.Float32);
                // Soft-capped logits z = c·tanh(l / c); dz/dl = 1 − tanh², kept for the gradient below.
                Tensor? capSlope = null;
                if (softcap is { } cap)
                {
                    var bounded = logits.div_(cap).tanh_();
                    if (hiddenGrad is not null || weightGrad is not null) capSlope = bounded.square().neg_().add_(1);
                    logits = bounded.mul_(cap);
                }
                var picked = logits.gather(0, target).squeeze(0);
                if (hiddenGrad is null && weightGrad is null)
                {
                    total.add_(logits.logsumexp(0).sub_(picked).mul_(weights).sum());
                    continue;
                }
                // One pass for the maximum, one for exp in place, one for the sum; the softmax's
                // normalisation is applied to the [rows, d] products instead of the [vocab, rows] block.
                var max = logits.amax(0);
                var exps = logits.sub_(max.unsqueeze(0)).exp_();
                var sums = exps.sum(dim: 0);
                total.add_(sums.log().add_(max).sub_(picked).mul_(weights).sum());
                // d loss / d logits = softmax − one-hot = (exps − sums·one-hot) / sums, per counted row, times the reduction's scale.
                exps.scatter_add_(0, target, sums.mul(weights).neg_().unsqueeze(0));
                if (capSlope is not null) exps.mul_(capSlope);
                var rowScale = weights.mul_(scale).div_(sums).unsqueeze(1).to(wd.dtype);
                var dLogits = exps.to(wd.dtype);
                hiddenGrad?.narrow(0, start, length).copy_(dLogits.t().mm(wd).mul_(rowScale));
                weightGrad?.add_(dLogits.mm(x.mul(rowScale)));
            }
            total.mul_(scale);
        }
        // The value is the loss; the surrogate terms add zero to it and give autograd the gradients found above.
        var loss = total.squeeze(0);
        if (hiddenGrad is not null) loss = loss + Surrogate(h, hiddenGrad);
        if (weightGrad is not null) loss = loss + Surrogate(weight, weightGrad);
        return (loss.MoveToOuterDisposeScope(), count);
    }

    /// <summary>
    /// Rows per block: the largest power of two whose fp32 logits fit in <see cref="BlockElements"/>.
    /// Powers of two matter: with GPT-2's vocabulary 333-row blocks took 1.9 s where 256 and 512 took 1.5-1.6 s (forward and backward, this machine).
    /// </summary>
    public static long RowsPerBlock(long vocab)
    {
        long rows = 1;
        while (rows * 2 * Math.Max(1, vocab) <= BlockElements) rows *= 2;
        return rows;
    }

    /// <summary>⟨x, g⟩ − stop_gradient(⟨x, g⟩): zero in value, gradient g with respect to x.</summary>
    static Tensor Surrogate(Tensor x, Tensor gradient)
    {
        var inner = x.mul(gradient).sum().to(ScalarType.Float32);
        return inner - inner.detach();
    }
}
