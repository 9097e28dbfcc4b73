namespace LoraDsl.Adapters.Combination;

/// <summary>PEFT's names for <see cref="CombinationMethod"/>, both ways.</summary>
internal static class CombinationMethods
{
    static readonly (CombinationMethod Method, string Name)[] names =
    [
        (CombinationMethod.Cat, "cat"),
        (CombinationMethod.Linear, "linear"),
        (CombinationMethod.Svd, "svd"),
        (CombinationMethod.Ties, "ties"),
        (CombinationMethod.TiesSvd, "ties_svd"),
        (CombinationMethod.DareLinear, "dare_linear"),
        (CombinationMethod.DareLinearSvd, "dare_linear_svd"),
        (CombinationMethod.DareTies, "dare_ties"),
        (CombinationMethod.DareTiesSvd, "dare_ties_svd"),
        (CombinationMethod.MagnitudePrune, "magnitude_prune"),
        (CombinationMethod.MagnitudePruneSvd, "magnitude_prune_svd"),
    ];

    public static IEnumerable<string> PeftNames => names.Select(n => n.Name);

    public static string PeftName(CombinationMethod method) => names.First(n => n.Method == method).Name;

    public static CombinationMethod Parse(string name) =>
        names.FirstOrDefault(n => n.Name == name) is { Name: not null } found ? found.Method
            : throw new ArgumentException($"Unknown combination '{name}'; use one of {string.Join(", ", PeftNames)}.");

    public static MajoritySignMethod ParseMajoritySign(string name) => name switch
    {
        "total" => MajoritySignMethod.Total,
        "frequency" => MajoritySignMethod.Frequency,
        _ => throw new ArgumentException($"Unknown majority sign method '{name}'; use total or frequency."),
    };

    public static bool IsSvdForm(CombinationMethod method) => Dsl.CombinationRules.IsSvdForm(PeftName(method));

    /// <summary>The merge_utils function an svd form applies to the ΔW (Svd → Linear, TiesSvd → Ties, ...).</summary>
    internal static CombinationMethod Reduction(CombinationMethod method) => method switch
    {
        CombinationMethod.Svd => CombinationMethod.Linear,
        CombinationMethod.TiesSvd => CombinationMethod.Ties,
        CombinationMethod.DareLinearSvd => CombinationMethod.DareLinear,
        CombinationMethod.DareTiesSvd => CombinationMethod.DareTies,
        CombinationMethod.MagnitudePruneSvd => CombinationMethod.MagnitudePrune,
        _ => method,
    };
}
