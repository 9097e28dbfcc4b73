// Linked into generators/LoraDsl.Generators: which combinations PEFT's add_weighted_adapter can make, and their rank, exist once.
using System.Collections.Generic;
using System.Linq;

namespace LoraDsl.Dsl;

/// <summary>
/// The rules of PEFT's <c>add_weighted_adapter</c> over method names (<c>cat</c>, <c>linear</c>, <c>svd</c>, …): the
/// compile-time checks of a recipe's starting combination and the run-time combiner apply the same ones.
/// </summary>
internal static class CombinationRules
{
    /// <summary>PEFT's combination_type names; the first, svd, is PEFT's default.</summary>
    public static IReadOnlyList<string> Methods { get; } = new[]
    {
        "svd", "linear", "cat", "ties", "ties_svd", "dare_linear", "dare_linear_svd", "dare_ties", "dare_ties_svd",
        "magnitude_prune", "magnitude_prune_svd",
    };

    /// <summary>PEFT combines a single adapter with "linear" whatever the method asked for.</summary>
    public static string Effective(string method, int adapterCount) => adapterCount == 1 ? "linear" : method;

    /// <summary>Whether the method combines the ΔW = B·A and truncates by SVD (rank: svd_rank, or the largest).</summary>
    public static bool IsSvdForm(string method) => method == "svd" || method.EndsWith("_svd", System.StringComparison.Ordinal);

    /// <summary>Whether the method prunes, and so needs a density.</summary>
    public static bool NeedsDensity(string method) => method is not ("cat" or "linear" or "svd");

    /// <summary>Whether the method needs the adapters to share a module: all but cat, which stacks disjoint adapters into their union.</summary>
    public static bool NeedsSharedModule(string method, int adapterCount) => method != "cat" && adapterCount > 1;

    /// <summary>The combined adapter's rank: the sum (cat), svd_rank or the largest (svd forms), else the common rank; null when the ranks differ where they must be equal.</summary>
    public static int? CombinedRank(string method, IReadOnlyList<int> ranks, int? svdRank)
    {
        if (method == "cat") return ranks.Sum();
        if (IsSvdForm(method)) return svdRank ?? ranks.Max();
        return ranks.Distinct().Count() > 1 ? null : ranks[0];
    }
}
