using System.Collections.Generic;
using System.Globalization;
using System.Linq;
using LoraDsl.Dsl;
using LoraDsl.Generators.Diagnostics;
using LoraDsl.Generators.Parsing;

namespace LoraDsl.Generators.Validation;

/// <summary>
/// Checks recipes that start from the adapters of other recipes named by type (<c>s.Adapter&lt;SotuRecipe&gt;()</c>)
/// against those recipes, as the run-time <c>StartingPoint</c> checks the files: LORA027 when the start cannot fill the
/// recipe's adapters (rank, alpha, rsLoRA, DoRA, modules, architecture, a cycle, AdaLoRA or PiSSA/OLoRA), LORA028 when
/// the combination itself cannot be made (unequal ranks, disjoint targets). Runs over the whole compilation; a start
/// named by folder, or a value that is not a constant, is left to run time.
/// </summary>
public static class StartValidator
{
    public static IEnumerable<DiagnosticInfo> Validate(IReadOnlyList<RecipeFacts> recipes)
    {
        var byType = new Dictionary<string, RecipeFacts>(System.StringComparer.Ordinal);
        foreach (var recipe in recipes) byType[recipe.Recipe.FullyQualifiedName] = recipe;
        foreach (var recipe in recipes.OrderBy(r => r.Recipe.FullyQualifiedName, System.StringComparer.Ordinal))
            if (recipe.Recipe.Starts.Count > 0)
                foreach (var diagnostic in Validate(recipe, byType))
                    yield return diagnostic;
    }

    private static IEnumerable<DiagnosticInfo> Validate(RecipeFacts recipe, IReadOnlyDictionary<string, RecipeFacts> byType)
    {
        var starts = recipe.Recipe.Starts.AsArray();
        var first = starts[0].Location;
        if (SettingValues.IsOn(recipe.Recipe.Settings, "lora.use_adalora"))
            yield return Fit(first, Format(DslMessages.StartNotPlainLora, "AdaLoRA"));
        if (recipe.Setting("lora.init")?.Text is "pissa" or "olora")
            yield return Fit(first, Format(DslMessages.StartNotPlainLora, "init " + recipe.Setting("lora.init")!.Text));

        var sources = new List<RecipeFacts>();
        var broken = false;
        foreach (var start in starts)
        {
            if (start.RecipeType is null || !byType.TryGetValue(start.RecipeType, out var source))
            {
                broken = true;
                continue;
            }
            if (Cycle(recipe, source, byType) is { } chain)
            {
                yield return Fit(start.Location, Format(DslMessages.StartCycle, recipe.Name, chain));
                broken = true;
                continue;
            }
            if (recipe.Recipe.ArchitectureType != source.Recipe.ArchitectureType)
            {
                yield return Fit(start.Location, Format(DslMessages.StartOtherArchitecture, recipe.Name, source.Name,
                    source.Architecture?.Name ?? "?", recipe.Architecture?.Name ?? "?"));
                broken = true;
                continue;
            }
            sources.Add(source);
        }
        if (broken) yield break;

        var method = recipe.Setting("start.method");
        var combines = starts.Length > 1 || method is not null || starts.Any(s => s.Weight != 1.0);
        if (combines && (method is { Text: null } || starts.Any(s => s.Weight is null))) yield break;
        var depth = new[] { recipe.Depth, sources.Min(s => s.Depth) }.Where(d => d is not null).Select(d => d!.Value).DefaultIfEmpty(RecipeFacts.UnknownDepthProbe).Min();
        var own = recipe.Placement(depth);
        var placements = sources.Select(s => s.Placement(depth)).ToList();

        string describe;
        int? rank;
        if (!combines)
        {
            var source = sources[0];
            describe = $"recipe '{source.Name}'";
            rank = source.Rank;
            foreach (var (key, theirs, ours) in new[]
            {
                ("lora.alpha", Text(source.Alpha), Text(recipe.Alpha)),
                ("lora.use_rslora", Text(source.RsLora), Text(recipe.RsLora)),
                ("lora.use_dora", Text(source.Dora), Text(recipe.Dora)),
            })
                if (theirs is not null && ours is not null && theirs != ours)
                    yield return Fit(starts[0].Location, Format(DslMessages.StartDoesNotFit, recipe.Name, $"{describe} ({key} {theirs})", ours, key));
        }
        else
        {
            var name = CombinationRules.Effective(method?.Text ?? CombinationRules.Methods[0], starts.Length);
            var combinationLocation = method?.Location ?? first;
            describe = $"the {name} combination of {string.Join(", ", sources.Select(s => $"'{s.Name}'"))}";
            rank = null;
            if (sources.All(s => s.Rank is not null))
            {
                var ranks = sources.Select(s => s.Rank!.Value).ToList();
                // A start.svd_rank that is no constant leaves the combined rank unknown.
                var svd = recipe.Setting("start.svd_rank");
                rank = svd is { Number: null } ? null : CombinationRules.CombinedRank(name, ranks, svd?.Number is { } n ? (int)n : null);
                if (CombinationRules.CombinedRank(name, ranks, null) is null)
                {
                    yield return Combination(combinationLocation, Format(DslMessages.CombinationNeedsEqualRanks, name,
                        string.Join(", ", sources.Select(s => $"'{s.Name}' r={s.Rank}"))));
                    yield break;
                }
                if (rank is not null) describe += $" (rank {rank})";
            }
            if (CombinationRules.NeedsSharedModule(name, sources.Count) && placements.All(p => p is not null)
                && placements.Skip(1).Aggregate(new HashSet<string>(placements[0]!), (shared, p) => { shared.IntersectWith(p!); return shared; }).Count == 0)
            {
                yield return Combination(combinationLocation, Format(DslMessages.CombinationNeedsSharedModule, name, string.Join(", ", sources.Select(s => $"'{s.Name}'"))));
                yield break;
            }
            if (recipe.Dora is true)
                yield return Fit(first, Format(DslMessages.StartDoesNotFit, recipe.Name, describe + " (plain LoRA, lora.use_dora false)", "true", "lora.use_dora"));
        }

        if (rank is not null && recipe.Rank is { } ownRank && rank != ownRank)
            yield return Fit(first, Format(DslMessages.StartDoesNotFit, recipe.Name, combines ? describe : $"{describe} (lora.r {rank})",
                ownRank.ToString(CultureInfo.InvariantCulture), "lora.r"));

        if (own is null || placements.Any(p => p is null)) yield break;
        var union = new SortedSet<string>(placements.SelectMany(p => p!), System.StringComparer.Ordinal);
        if (union.FirstOrDefault(p => !own.Contains(p)) is { } untargeted)
            yield return Fit(first, Format(DslMessages.StartAdaptsUntargetedModule, recipe.Name, describe, untargeted));
        else if (own.FirstOrDefault(p => !union.Contains(p)) is { } missing)
            yield return Fit(first, Format(DslMessages.StartMissesTargetedModule, recipe.Name, describe, missing));
    }

    // "a -> b -> a" when starting from source leads back to recipe through typed references; else null.
    private static string? Cycle(RecipeFacts recipe, RecipeFacts source, IReadOnlyDictionary<string, RecipeFacts> byType)
    {
        var path = new List<string> { recipe.Name };
        var seen = new HashSet<string>(System.StringComparer.Ordinal);
        return Walk(source) ? string.Join(" -> ", path) : null;

        bool Walk(RecipeFacts at)
        {
            path.Add(at.Name);
            if (at.Recipe.FullyQualifiedName == recipe.Recipe.FullyQualifiedName) return true;
            if (seen.Add(at.Recipe.FullyQualifiedName))
                foreach (var next in at.Recipe.Starts)
                    if (next.RecipeType is not null && byType.TryGetValue(next.RecipeType, out var facts) && Walk(facts)) return true;
            path.RemoveAt(path.Count - 1);
            return false;
        }
    }

    private static DiagnosticInfo Fit(SourceLocation? location, string message) => new(DiagnosticDescriptors.StartDoesNotFit, location, [message]);

    private static DiagnosticInfo Combination(SourceLocation? location, string message) => new(DiagnosticDescriptors.CombinationImpossible, location, [message]);

    private static string? Text(double? value) => value?.ToString(CultureInfo.InvariantCulture);

    private static string? Text(bool? value) => value is { } on ? (on ? "true" : "false") : null;

    private static string Format(string format, params object[] arguments) => string.Format(CultureInfo.InvariantCulture, format, arguments);
}
