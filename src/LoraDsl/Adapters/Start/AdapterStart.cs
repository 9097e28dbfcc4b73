using System.Globalization;
using LoraDsl.Adapters.Combination;
using LoraDsl.Dsl;

namespace LoraDsl.Adapters.Start;

/// <summary>
/// Where a recipe's adapters start (PEFT's <c>PeftModel.from_pretrained(..., is_trainable=True)</c>, or an
/// <c>add_weighted_adapter</c> result trained further): one saved adapter to continue training, or several combined
/// with <see cref="Method"/> first. A recipe without one starts from freshly initialised adapters.
/// </summary>
public sealed record AdapterStart
{
    public IReadOnlyList<StartingAdapter> Adapters { get; init; } = [];

    /// <summary>The combination method; null = continue from the one adapter as it is.</summary>
    public CombinationMethod? Method { get; init; }

    /// <summary>The fraction kept by the pruning methods (ties, dare_*, magnitude_prune*).</summary>
    public double? Density { get; init; }

    /// <summary>The svd forms' rank; null = the largest input rank.</summary>
    public int? SvdRank { get; init; }

    /// <summary>Whether the adapters are combined first: several adapters, a weight other than 1, or a method named.</summary>
    public bool Combines => Method is not null || Adapters.Count > 1 || Adapters.Any(a => a.Weight != 1.0);

    /// <summary>The method the combination uses: the one named, else PEFT's default (svd).</summary>
    public CombinationMethod EffectiveMethod => Method ?? CombinationMethod.Svd;

    /// <summary>The combiner's options for this start, seeded by the run's seed (DARE's random pruning).</summary>
    public CombinationOptions CombinationOptions(ulong seed) => new()
    {
        Method = EffectiveMethod,
        Density = Density,
        SvdRank = SvdRank,
        Seed = seed,
    };

    /// <summary>Checks the start on its own (names, weights, the method's options); <paramref name="recipe"/> names the recipe in messages.</summary>
    /// <exception cref="ArgumentException">The first problem found.</exception>
    public void Validate(string recipe)
    {
        if (Adapters.Count == 0)
            throw new ArgumentException($"Recipe '{recipe}': start.method, start.weights, start.density or start.svd_rank is set, but start.adapters names no adapter.");
        foreach (var group in Adapters.GroupBy(a => a.Name).Where(g => g.Count() > 1))
            throw new ArgumentException($"Recipe '{recipe}': start adapter '{group.Key}' is listed {group.Count()} times; give each a name (NAME=DIR).");
        foreach (var adapter in Adapters)
        {
            ModelAdapters.ValidateName(adapter.Name);
            if (adapter.Directory.Length == 0) throw new ArgumentException($"Recipe '{recipe}': start adapter '{adapter.Name}' names no folder.");
            if (!double.IsFinite(adapter.Weight))
                throw new ArgumentException($"Recipe '{recipe}': start adapter '{adapter.Name}' has weight {adapter.Weight.ToString(CultureInfo.InvariantCulture)}.");
        }
        if (Combines) CombinationOptions(0).Validate();
        else if (Density is not null || SvdRank is not null)
            throw new ArgumentException($"Recipe '{recipe}': start.density and start.svd_rank apply to a combination; name one with start.method.");
    }

    /// <summary>"a=DIR" or "a=DIR x 0.5 + b=DIR x 0.5 (cat)", for logs and messages.</summary>
    public string Describe() => Combines
        ? string.Join(" + ", Adapters.Select(a => $"'{a.Name}' ({a.Directory}) x {a.Weight.ToString(CultureInfo.InvariantCulture)}"))
            + $" combined with {CombinationMethods.PeftName(EffectiveMethod)}"
        : $"adapter '{Adapters[0].Directory}'";
}
