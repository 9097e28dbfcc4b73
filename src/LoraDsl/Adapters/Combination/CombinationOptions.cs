namespace LoraDsl.Adapters.Combination;

/// <summary>
/// The knobs of PEFT's <c>add_weighted_adapter</c> besides the adapters and weights. Defaults follow
/// PEFT: svd_rank = the largest input rank, no clamp, majority sign "total"; <see cref="Density"/> has
/// no default and is required by the pruning methods.
/// </summary>
public sealed record CombinationOptions
{
    public CombinationMethod Method { get; init; } = CombinationMethod.Svd;

    /// <summary>Fraction of entries kept by ties, dare_* and magnitude_prune (0..1; 1 keeps all).</summary>
    public double? Density { get; init; }

    /// <summary>Rank of an svd-form result; null = the largest input rank.</summary>
    public int? SvdRank { get; init; }

    /// <summary>Quantile (0..1) at which the SVD factors are clamped; null = no clamp.</summary>
    public double? SvdClamp { get; init; }

    public MajoritySignMethod MajoritySign { get; init; } = MajoritySignMethod.Total;

    /// <summary>Seed of DARE's random masks, so a combination can be repeated.</summary>
    public ulong Seed { get; init; } = 42;

    public bool IsSvdForm => CombinationMethods.IsSvdForm(Method);

    public bool NeedsDensity => Method is not (CombinationMethod.Cat or CombinationMethod.Linear or CombinationMethod.Svd);

    /// <summary>Throws <see cref="ArgumentException"/> naming the bad field.</summary>
    public void Validate()
    {
        if (NeedsDensity && Density is null)
            throw new ArgumentException($"Combination '{CombinationMethods.PeftName(Method)}' needs a density (the fraction of entries kept, 0..1).");
        if (Density is { } d && !(d >= 0 && d <= 1))
            throw new ArgumentException($"Combination density must be in [0, 1], got {d}.");
        // DARE rescales the kept entries by 1/density: at 0 every entry would be 0/0.
        if (Density is 0.0 && Method is CombinationMethod.DareLinear or CombinationMethod.DareTies or CombinationMethod.DareLinearSvd or CombinationMethod.DareTiesSvd)
            throw new ArgumentException($"Combination '{CombinationMethods.PeftName(Method)}' needs a density in (0, 1]: DARE divides the kept entries by the density, so 0 would write NaN.");
        if (SvdRank is { } r && r <= 0)
            throw new ArgumentException($"Combination svd_rank must be positive, got {r}.");
        if (SvdClamp is { } c && !(c >= 0 && c <= 1))
            throw new ArgumentException($"Combination svd_clamp is a quantile in [0, 1], got {c}.");
        if (!IsSvdForm && (SvdRank is not null || SvdClamp is not null))
            throw new ArgumentException($"svd_rank and svd_clamp apply only to the svd forms, not to '{CombinationMethods.PeftName(Method)}'.");
    }
}
