using static TorchSharp.torch;

namespace LoraDsl.Adapters.Combination;

/// <summary>
/// PEFT's <c>add_weighted_adapter</c> on one module, as a pure function over tensors. The result is the
/// new adapter's A [rank, in] and B [out, rank]; its scaling is 1 (PEFT sets lora_alpha = r and no rsLoRA),
/// so the weights and the inputs' scalings are folded into A and B:
/// <list type="bullet">
/// <item>cat: A = [w₁s₁A₁; w₂s₂A₂; …], B = [B₁ B₂ …], zero-padded to the rank: ΔW = Σ wᵢsᵢBᵢAᵢ exactly.</item>
/// <item>linear, ties, dare_*, magnitude_prune: the reduction runs on the A's with weights sign·√|ws| and on
/// the B's with √|ws| (so ΔW has PEFT's cross terms when more than one adapter is combined).</item>
/// <item>svd forms: the reduction runs on the ΔWᵢ = sᵢBᵢAᵢ with weights wᵢsᵢ (PEFT scales twice), then the
/// top singular triplets give B = U·S and A = Vᴴ, optionally clamped at a quantile.</item>
/// </list>
/// A module some inputs do not adapt combines the inputs it has (PEFT skips the others).
/// </summary>
static class WeightedCombination
{
    /// <summary>PEFT combines a single adapter with "linear" whatever the method asked for.</summary>
    public static CombinationMethod Effective(CombinationMethod method, int adapterCount) =>
        adapterCount == 1 ? CombinationMethod.Linear : method;

    /// <summary>The result's rank: the common rank (linear family), the sum (cat), svd_rank or the largest (svd forms).</summary>
    public static int NewRank(CombinationMethod method, IReadOnlyList<(string Name, int Rank)> ranks, int? svdRank) =>
        Dsl.CombinationRules.CombinedRank(CombinationMethods.PeftName(method), [.. ranks.Select(r => r.Rank)], svdRank)
        ?? throw new AdapterMismatchException(string.Format(System.Globalization.CultureInfo.InvariantCulture, Dsl.DslMessages.CombinationNeedsEqualRanks,
            CombinationMethods.PeftName(method), string.Join(", ", ranks.Select(r => $"'{r.Name}' r={r.Rank}"))) + ".");

    /// <param name="sources">One entry per input adapter, aligned with <paramref name="weights"/>; null where it does not adapt this module.</param>
    /// <param name="module">The module's path, for messages.</param>
    public static (Tensor A, Tensor B) Combine(string module, CombinationMethod method, IReadOnlyList<LoraFactors?> sources,
        IReadOnlyList<double> weights, int rank, CombinationOptions options, Generator generator)
    {
        if (sources.Count != weights.Count) throw new ArgumentException($"{weights.Count} weights for {sources.Count} adapters.");
        var present = sources.Select((s, i) => (Factors: s, Weight: weights[i])).Where(p => p.Factors is not null)
            .Select(p => (Factors: p.Factors!.Value, p.Weight)).ToList();
        if (present.Count == 0) throw new ArgumentException($"No input adapter adapts module '{module}'.");
        using var _ = no_grad();
        using var scope = NewDisposeScope();
        var inFeatures = present[0].Factors.A.shape[1];
        var outFeatures = present[0].Factors.B.shape[0];
        foreach (var (f, _) in present)
            if (f.A.shape[1] != inFeatures || f.B.shape[0] != outFeatures || f.B.shape[1] != f.A.shape[0])
                throw new AdapterMismatchException($"Module '{module}': the adapters' shapes differ (A [{string.Join(", ", f.A.shape)}], B [{string.Join(", ", f.B.shape)}]).");

        (Tensor A, Tensor B) result;
        if (method == CombinationMethod.Cat) result = Cat(present);
        else if (CombinationMethods.IsSvdForm(method)) result = Svd(method, present, rank, options, generator);
        else result = Factorwise(module, method, present, options, generator);

        var a = PadRank(result.A, rank, dim: 0);
        var b = PadRank(result.B, rank, dim: 1);
        return (a.to(ScalarType.Float32).MoveToOuterDisposeScope(), b.to(ScalarType.Float32).MoveToOuterDisposeScope());
    }

    static (Tensor A, Tensor B) Cat(List<(LoraFactors Factors, double Weight)> present)
    {
        var a = cat([.. present.Select(p => p.Factors.A * (p.Weight * p.Factors.Scaling))], 0);
        var b = cat([.. present.Select(p => p.Factors.B)], 1);
        return (a, b);
    }

    static (Tensor A, Tensor B) Factorwise(string module, CombinationMethod method, List<(LoraFactors Factors, double Weight)> present,
        CombinationOptions options, Generator generator)
    {
        if (present.Select(p => p.Factors.Rank).Distinct().Count() > 1)
            throw new AdapterMismatchException(
                $"Combination '{CombinationMethods.PeftName(method)}' needs equal ranks, but on module '{module}' the adapters have ranks {string.Join(", ", present.Select(p => p.Factors.Rank))} (rank_pattern).");
        // Negative weights: the sign goes on A only, so that B·A carries it once.
        var weightsA = present.Select(p => Math.Sign(p.Weight * p.Factors.Scaling) is -1 ? -Math.Sqrt(Math.Abs(p.Weight * p.Factors.Scaling)) : Math.Sqrt(Math.Abs(p.Weight * p.Factors.Scaling))).ToList();
        var weightsB = present.Select(p => Math.Sqrt(Math.Abs(p.Weight * p.Factors.Scaling))).ToList();
        var a = TaskTensorMerge.Reduce(method, [.. present.Select(p => p.Factors.A)], weightsA, options.Density, options.MajoritySign, generator);
        var b = TaskTensorMerge.Reduce(method, [.. present.Select(p => p.Factors.B)], weightsB, options.Density, options.MajoritySign, generator);
        return (a, b);
    }

    static (Tensor A, Tensor B) Svd(CombinationMethod method, List<(LoraFactors Factors, double Weight)> present, int rank,
        CombinationOptions options, Generator generator)
    {
        var deltas = present.Select(p => matmul(p.Factors.B, p.Factors.A) * p.Factors.Scaling).ToList();
        var weights = present.Select(p => p.Weight * p.Factors.Scaling).ToList();
        var delta = TaskTensorMerge.Reduce(CombinationMethods.Reduction(method), deltas, weights, options.Density, options.MajoritySign, generator);
        var (u, s, vh) = linalg.svd(delta, fullMatrices: false);
        var kept = Math.Min(rank, s.shape[0]);
        var b = u[.., ..(int)kept] * s[..(int)kept];
        var a = vh[..(int)kept, ..];
        if (options.SvdClamp is { } q)
        {
            var high = Quantile(cat([b.flatten(), a.flatten()], 0), q);
            b = b.clamp(-high, high);
            a = a.clamp(-high, high);
        }
        return (a, b);
    }

    /// <summary>torch.quantile's default (linear interpolation between the two nearest order statistics).</summary>
    internal static double Quantile(Tensor values, double q)
    {
        var (sorted, _) = values.sort();
        var position = q * (values.numel() - 1);
        var low = (long)Math.Floor(position);
        var high = Math.Min(low + 1, values.numel() - 1);
        var lowValue = Native.HostMemory.Item<float>(sorted[low]);
        var highValue = Native.HostMemory.Item<float>(sorted[high]);
        return lowValue + (highValue - lowValue) * (position - low);
    }

    static Tensor PadRank(Tensor factor, int rank, int dim)
    {
        var have = factor.shape[dim];
        if (have == rank) return factor;
        if (have > rank) throw new InvalidOperationException($"A factor of rank {have} does not fit rank {rank}.");
        var shape = factor.shape.ToArray();
        shape[dim] = rank - have;
        return cat([factor, zeros(shape, factor.dtype, factor.device)], dim);
    }
}
