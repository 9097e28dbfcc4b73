using static TorchSharp.torch;

namespace LoraDsl.Adapters.Combination;

/// <summary>
/// PEFT's merge_utils over same-shape task tensors: weighted sum, magnitude and random pruning, TIES sign
/// election and disjoint merge. Inputs are not changed; every result is a new tensor.
/// </summary>
static class TaskTensorMerge
{
    /// <summary>The merge_utils function for a non-svd <paramref name="method"/>.</summary>
    public static Tensor Reduce(CombinationMethod method, IReadOnlyList<Tensor> tensors, IReadOnlyList<double> weights,
        double? density, MajoritySignMethod sign, Generator generator) => method switch
    {
        CombinationMethod.Linear => TaskArithmetic(tensors, weights),
        CombinationMethod.Ties => Ties(tensors, weights, density!.Value, sign),
        CombinationMethod.DareLinear => DareLinear(tensors, weights, density!.Value, generator),
        CombinationMethod.DareTies => DareTies(tensors, weights, density!.Value, sign, generator),
        CombinationMethod.MagnitudePrune => MagnitudePrune(tensors, weights, density!.Value),
        _ => throw new ArgumentException($"'{CombinationMethods.PeftName(method)}' is not a task-tensor reduction."),
    };

    /// <summary>Σ wᵢ·tᵢ.</summary>
    public static Tensor TaskArithmetic(IReadOnlyList<Tensor> tensors, IReadOnlyList<double> weights)
    {
        using var scope = NewDisposeScope();
        var stacked = stack(tensors, 0);
        return WeightedSum(stacked, weights).MoveToOuterDisposeScope();
    }

    public static Tensor MagnitudePrune(IReadOnlyList<Tensor> tensors, IReadOnlyList<double> weights, double density)
    {
        using var scope = NewDisposeScope();
        var stacked = stack([.. tensors.Select(t => Prune(t, density, magnitude: true, rescale: false, null))], 0);
        return WeightedSum(stacked, weights).MoveToOuterDisposeScope();
    }

    public static Tensor Ties(IReadOnlyList<Tensor> tensors, IReadOnlyList<double> weights, double density, MajoritySignMethod sign)
    {
        using var scope = NewDisposeScope();
        var stacked = stack([.. tensors.Select(t => Prune(t, density, magnitude: true, rescale: false, null))], 0);
        return SignElectedMean(stacked, weights, sign).MoveToOuterDisposeScope();
    }

    public static Tensor DareLinear(IReadOnlyList<Tensor> tensors, IReadOnlyList<double> weights, double density, Generator generator)
    {
        using var scope = NewDisposeScope();
        var stacked = stack([.. tensors.Select(t => Prune(t, density, magnitude: false, rescale: true, generator))], 0);
        return WeightedSum(stacked, weights).MoveToOuterDisposeScope();
    }

    public static Tensor DareTies(IReadOnlyList<Tensor> tensors, IReadOnlyList<double> weights, double density, MajoritySignMethod sign, Generator generator)
    {
        using var scope = NewDisposeScope();
        var stacked = stack([.. tensors.Select(t => Prune(t, density, magnitude: false, rescale: true, generator))], 0);
        return SignElectedMean(stacked, weights, sign).MoveToOuterDisposeScope();
    }

    /// <summary>PEFT's prune: density ≥ 1 keeps everything; magnitude keeps the int(density·n) largest |t|; random keeps each entry with probability density.</summary>
    public static Tensor Prune(Tensor tensor, double density, bool magnitude, bool rescale, Generator? generator)
    {
        if (density >= 1) return tensor.alias();
        if (density < 0) throw new ArgumentException($"Density should be >= 0, got {density}.");
        using var scope = NewDisposeScope();
        Tensor mask;
        if (magnitude)
        {
            var flat = zeros(tensor.numel(), tensor.dtype, tensor.device);
            var k = (long)(density * tensor.numel());
            if (k > 0)
            {
                var (_, indices) = tensor.abs().reshape(-1).topk((int)k, largest: true);
                flat.index_fill_(0, indices, 1.0);
            }
            mask = flat.reshape(tensor.shape);
        }
        else
        {
            using var probability = full_like(tensor, density);
            mask = bernoulli(probability, generator);
        }
        var pruned = tensor * mask;
        if (rescale) pruned = pruned / density;
        return pruned.MoveToOuterDisposeScope();
    }

    /// <summary>True where an entry's sign equals the elected sign of its position (zeros never match).</summary>
    public static Tensor MajoritySignMask(Tensor stacked, MajoritySignMethod method)
    {
        using var scope = NewDisposeScope();
        var sign = stacked.sign();
        var magnitude = method == MajoritySignMethod.Total ? stacked.sum(0L, keepdim: false) : sign.sum(0L, keepdim: false);
        var majority = where(magnitude >= 0, ones_like(magnitude), -ones_like(magnitude));
        return sign.eq(majority).MoveToOuterDisposeScope();
    }

    /// <summary>The mean over the tensors whose sign agrees with the majority (TIES's disjoint merge).</summary>
    public static Tensor DisjointMerge(Tensor weighted, Tensor mask)
    {
        using var scope = NewDisposeScope();
        var masked = (weighted * mask).sum(0L, keepdim: false);
        var kept = mask.sum(0L, keepdim: false).to(weighted.dtype).clamp_min(1.0);
        return (masked / kept).MoveToOuterDisposeScope();
    }

    // PEFT elects signs on the unweighted (pruned) tensors, then merges the weighted ones.
    static Tensor SignElectedMean(Tensor stacked, IReadOnlyList<double> weights, MajoritySignMethod sign)
    {
        using var mask = MajoritySignMask(stacked, sign);
        using var weighted = Weighted(stacked, weights);
        return DisjointMerge(weighted, mask);
    }

    static Tensor WeightedSum(Tensor stacked, IReadOnlyList<double> weights)
    {
        using var weighted = Weighted(stacked, weights);
        return weighted.sum(0L, keepdim: false);
    }

    static Tensor Weighted(Tensor stacked, IReadOnlyList<double> weights)
    {
        if (weights.Count != stacked.shape[0])
            throw new ArgumentException($"{weights.Count} weights for {stacked.shape[0]} tensors.");
        var shape = new long[stacked.dim()];
        Array.Fill(shape, 1L);
        shape[0] = weights.Count;
        using var w = tensor(weights.Select(x => (float)x).ToArray(), stacked.dtype, stacked.device).reshape(shape);
        return stacked * w;
    }
}
