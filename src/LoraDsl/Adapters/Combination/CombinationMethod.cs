namespace LoraDsl.Adapters.Combination;

/// <summary>PEFT's <c>combination_type</c> for <c>add_weighted_adapter</c>.</summary>
public enum CombinationMethod
{
    /// <summary>"cat": A's and B's stacked; the rank is the sum of the ranks; exact.</summary>
    Cat,

    /// <summary>"linear": Σ √(w·s)·A and Σ √(w·s)·B; equal ranks required (cross terms are PEFT's semantics).</summary>
    Linear,

    /// <summary>"svd": Σ w·s·ΔW, truncated to <c>svd_rank</c> by SVD.</summary>
    Svd,

    /// <summary>"ties": magnitude pruning, sign election, disjoint mean, on A and on B.</summary>
    Ties,

    /// <summary>"ties_svd": TIES on the ΔW, then SVD.</summary>
    TiesSvd,

    /// <summary>"dare_linear": random pruning with rescale, then linear, on A and on B.</summary>
    DareLinear,

    /// <summary>"dare_linear_svd": DARE on the ΔW, then SVD.</summary>
    DareLinearSvd,

    /// <summary>"dare_ties": random pruning with rescale, sign election, disjoint mean.</summary>
    DareTies,

    /// <summary>"dare_ties_svd": DARE-TIES on the ΔW, then SVD.</summary>
    DareTiesSvd,

    /// <summary>"magnitude_prune": magnitude pruning, then linear, on A and on B.</summary>
    MagnitudePrune,

    /// <summary>"magnitude_prune_svd": magnitude pruning on the ΔW, then SVD.</summary>
    MagnitudePruneSvd,
}
