using static TorchSharp.torch;

namespace LoraDsl.Lora;

/// <summary>
/// PEFT's pissa_init and olora_init: A and B take the principal part of W (top-r SVD, or the first r columns of
/// its QR), and the base layer keeps the residual W − s·BA, so the model's output is unchanged at step 0.
/// Works on the adapter's output rows of W as [out, in] (PEFT's OLoRA uses the stored layout; for GPT-2's Conv1D
/// that does not fit the adapter's shapes, so [out, in] is used for both).
/// </summary>
static class ResidualInit
{
    /// <summary>PiSSA/OLoRA take r singular vectors (or QR columns) of the adapter's rows of W: r ≤ min(rows, in).</summary>
    public static void CheckRank(LoraOptions options, LoraBaseLayer baseLayer, long rows, string path)
    {
        var limit = Math.Min(rows == 0 ? baseLayer.OutFeatures : rows, baseLayer.InFeatures);
        if (options.Rank > limit)
            throw new ArgumentException($"{options.Init} init of module '{path}' needs rank <= min(out, in) = {limit}; got r={options.Rank}.");
    }

    /// <summary>Initialises A and B, writes the residual into the base; returns (A₀, B₀ rows) as new tensors.</summary>
    public static (Tensor A, Tensor B) Apply(LoraAdapter adapter, LoraBaseLayer baseLayer)
    {
        using var _ = no_grad();
        using var scope = NewDisposeScope();
        var weight = baseLayer.WeightOutIn();
        var rows = adapter.RowsOf(weight);
        var rank = adapter.Rank;
        CheckRank(adapter.Options, baseLayer, rows.shape[0], adapter.AdapterName);
        var (a, b) = adapter.Options.Init == LoraInit.Olora
            ? Olora(rows, rank)
            : Pissa(rows, rank, adapter.Scaling, adapter.Options.PissaIterations);
        adapter.A.copy_(a);
        adapter.B.copy_(b);
        using var delta = adapter.DeltaWeight();
        using var residual = weight - delta;
        baseLayer.SetWeightOutIn(residual);
        return (a.clone().MoveToOuterDisposeScope(), b.clone().MoveToOuterDisposeScope());
    }

    /// <summary>W ≈ V·S·Uᴴ: A = √(S/s)·Uᴴ, B = V·√(S/s), so s·BA is the best rank-r part of W.</summary>
    static (Tensor A, Tensor B) Pissa(Tensor weight, int rank, double scaling, int? iterations)
    {
        Tensor v, s, uh;
        if (iterations is { } niter) (v, s, uh) = RandomizedSvd(weight, rank, niter);
        else
        {
            var (full, values, fullH) = linalg.svd(weight, fullMatrices: false);
            (v, s, uh) = (full[.., ..rank], values[..rank], fullH[..rank]);
        }
        var root = (s / scaling).sqrt();
        return (root.unsqueeze(1) * uh, v * root.unsqueeze(0));
    }

    /// <summary>W = QR: B = Q[:, :r], A = R[:r] (PEFT does not divide by the scaling here).</summary>
    static (Tensor A, Tensor B) Olora(Tensor weight, int rank)
    {
        var (q, r) = linalg.qr(weight);
        return (r[..rank].contiguous(), q[.., ..rank].contiguous());
    }

    /// <summary>
    /// Halko et al.'s randomized SVD as torch.svd_lowrank does it with q = r: a Gaussian sketch, <paramref name="iterations"/>
    /// QR-stabilised power iterations, then the exact SVD of the small projection. The draws use the global generator.
    /// </summary>
    internal static (Tensor U, Tensor S, Tensor Vh) RandomizedSvd(Tensor weight, int rank, int iterations)
    {
        var sketch = randn([weight.shape[1], rank], weight.dtype, weight.device);
        var (q, _) = linalg.qr(matmul(weight, sketch));
        for (int i = 0; i < iterations; i++)
        {
            (q, _) = linalg.qr(matmul(weight.t(), q));
            (q, _) = linalg.qr(matmul(weight, q));
        }
        var (u, s, vh) = linalg.svd(matmul(q.t(), weight), fullMatrices: false);
        return (matmul(q, u), s, vh);
    }
}
