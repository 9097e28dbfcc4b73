namespace LoraDsl.Adapters;

/// <summary>
/// Run-time checks that several adapters of one model fit a purpose (a combination method, activating them
/// together): each failure is one <see cref="AdapterMismatchException"/> naming the adapters and the module.
/// </summary>
internal static class AdapterCompatibility
{
    /// <summary>Every adapter exists and sits on exactly the same modules.</summary>
    public static void RequireSameModules(ModelAdapters adapters, IReadOnlyList<string> names, string purpose)
    {
        var first = ModulesOf(adapters, names[0]);
        foreach (var name in names.Skip(1))
        {
            var other = ModulesOf(adapters, name);
            if (first.Except(other).FirstOrDefault() is { } missing)
                throw new AdapterMismatchException($"{purpose} needs adapters on the same modules: '{names[0]}' adapts '{missing}', '{name}' does not.");
            if (other.Except(first).FirstOrDefault() is { } extra)
                throw new AdapterMismatchException($"{purpose} needs adapters on the same modules: '{name}' adapts '{extra}', '{names[0]}' does not.");
        }
    }

    /// <summary>The adapters share at least one module (disjoint targets have nothing to combine); <paramref name="method"/> is PEFT's name.</summary>
    public static void RequireSharedModule(ModelAdapters adapters, IReadOnlyList<string> names, string method)
    {
        var shared = ModulesOf(adapters, names[0]);
        foreach (var name in names.Skip(1)) shared.IntersectWith(ModulesOf(adapters, name));
        if (shared.Count == 0)
            throw new AdapterMismatchException(string.Format(System.Globalization.CultureInfo.InvariantCulture, Dsl.DslMessages.CombinationNeedsSharedModule,
                method, string.Join(", ", names.Select(n => $"'{n}'"))) + ".");
    }

    /// <summary>Every adapter has the same rank on every module they share.</summary>
    public static void RequireEqualRanks(ModelAdapters adapters, IReadOnlyList<string> names, string purpose)
    {
        var ranks = new Dictionary<string, (string Adapter, int Rank)>(StringComparer.Ordinal);
        foreach (var name in names)
            foreach (var m in adapters.Modules(name))
            {
                if (!ranks.TryGetValue(m.Path, out var seen)) ranks[m.Path] = (name, m.Rank);
                else if (seen.Rank != m.Rank)
                    throw new AdapterMismatchException($"{purpose} needs equal ranks: module '{m.Path}' has r={seen.Rank} in '{seen.Adapter}' and r={m.Rank} in '{name}'.");
            }
    }

    /// <summary>Plain LoRA only: a combination that reads A and B alone cannot carry a DoRA magnitude.</summary>
    public static void RequirePlainLora(ModelAdapters adapters, IReadOnlyList<string> names, string purpose)
    {
        foreach (var name in names)
            if (adapters.Modules(name).FirstOrDefault(m => !m.Adapter.Variant.MergesAdditively) is { } m)
                throw new AdapterMismatchException($"{purpose} needs plain LoRA adapters: '{name}' is {m.Adapter.Variant.Name} on module '{m.Path}'.");
    }

    static HashSet<string> ModulesOf(ModelAdapters adapters, string name) =>
        adapters.Modules(name).Select(m => m.Path).ToHashSet(StringComparer.Ordinal);
}
