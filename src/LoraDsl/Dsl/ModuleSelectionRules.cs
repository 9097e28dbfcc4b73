// Linked into generators/LoraDsl.Generators: the compile-time diagnostics and the --set checks judge PEFT's selection options alike.
using System;
using System.Collections.Generic;
using System.Globalization;
using System.Linq;

namespace LoraDsl.Dsl;

/// <summary>
/// Checks PEFT's selection options (target_modules as a regex, exclude_modules, layers_to_transform + layers_pattern,
/// rank_pattern, alpha_pattern) against an architecture's module paths, with <see cref="PeftModuleMatch"/>'s rules.
/// The generator reports each finding as a LORA032-036 diagnostic; <c>RecipeDefinition.Validate</c> throws the first error.
/// </summary>
internal static class ModuleSelectionRules
{
    /// <summary>Layers a per-layer path is expanded for when the depth is not known before loading.</summary>
    public const int UnknownDepthLayers = 128;

    /// <summary>Every module path of the architecture: per-layer templates expanded for layers 0..depth-1.</summary>
    public static IReadOnlyList<string> Paths(IEnumerable<string> pathTemplates, int? depth)
    {
        var layers = depth ?? UnknownDepthLayers;
        var paths = new List<string>();
        foreach (var template in pathTemplates)
        {
            if (template.IndexOf("{layer}", StringComparison.Ordinal) < 0) paths.Add(template);
            else
                for (var layer = 0; layer < layers; layer++)
                    paths.Add(template.Replace("{layer}", layer.ToString(CultureInfo.InvariantCulture)));
        }
        return paths;
    }

    /// <summary>The findings for one recipe's selection options over <paramref name="paths"/> (see <see cref="Paths"/>).</summary>
    /// <param name="hasListTargets">Whether the recipe also names targets as modules, roles, names or presets.</param>
    /// <param name="depth">The known depth, or null (then layer indices are not range-checked).</param>
    public static IReadOnlyList<SelectionFinding> Check(
        string architecture, IReadOnlyList<string> paths, int? depth, bool hasListTargets,
        string? targetRegex, IReadOnlyList<string> excludeModules, IReadOnlyList<int> layersToTransform, string? layersPattern,
        IReadOnlyList<KeyValuePair<string, double>> rankPattern, IReadOnlyList<KeyValuePair<string, double>> alphaPattern)
    {
        var findings = new List<SelectionFinding>();
        if (targetRegex is not null)
        {
            if (PeftModuleMatch.RegexError(targetRegex) is { } reason)
                findings.Add(new(SelectionProblem.InvalidRegex, targetRegex, Format(DslMessages.InvalidModuleRegex, "lora.target_regex", targetRegex, reason)));
            else if (!paths.Any(PeftModuleMatch.FullMatch(targetRegex).IsMatch))
                findings.Add(new(SelectionProblem.MatchesNothing, targetRegex, Format(DslMessages.RegexTargetMatchesNothing, $"architecture '{architecture}'", targetRegex)));
            if (hasListTargets) findings.Add(new(SelectionProblem.Incompatible, targetRegex, Format(DslMessages.RegexTargetWith, "targets named as modules, roles, names or presets")));
            if (layersToTransform.Count > 0) findings.Add(new(SelectionProblem.Incompatible, targetRegex, Format(DslMessages.RegexTargetWith, "lora.layers_to_transform")));
            if (layersPattern is not null) findings.Add(new(SelectionProblem.Incompatible, targetRegex, Format(DslMessages.RegexTargetWith, "lora.layers_pattern")));
        }
        if (layersPattern is not null && layersToTransform.Count == 0)
            findings.Add(new(SelectionProblem.Incompatible, layersPattern, DslMessages.LayersPatternWithoutLayers));
        if (depth is { } known)
            foreach (var layer in layersToTransform.Where(l => l < 0 || l >= known).Distinct())
                findings.Add(new(SelectionProblem.LayerOutOfRange, layer.ToString(CultureInfo.InvariantCulture),
                    Format(DslMessages.LayerToTransformOutOfRange, layer, known, architecture, known - 1)));
        foreach (var entry in excludeModules)
            if (!paths.Any(p => PeftModuleMatch.IsNamed(p, entry)))
                findings.Add(new(SelectionProblem.ExcludeMatchesNothing, entry, Format(DslMessages.ExcludeMatchesNothing, entry, architecture)));
        CheckPattern("lora.rank_pattern", rankPattern, architecture, paths, findings);
        CheckPattern("lora.alpha_pattern", alphaPattern, architecture, paths, findings);
        return findings;
    }

    static void CheckPattern(string option, IReadOnlyList<KeyValuePair<string, double>> pattern, string architecture, IReadOnlyList<string> paths, List<SelectionFinding> findings)
    {
        foreach (var entry in pattern)
        {
            if (!(entry.Value > 0))
                findings.Add(new(SelectionProblem.ValueNotPositive, entry.Key, Format(DslMessages.PatternValueNotPositive, option, entry.Key, entry.Value)));
            if (PeftModuleMatch.RegexError(entry.Key) is { } reason)
                findings.Add(new(SelectionProblem.InvalidRegex, entry.Key, Format(DslMessages.InvalidModuleRegex, option + " key", entry.Key, reason)));
            else if (!paths.Any(p => PeftModuleMatch.PatternKey([entry.Key], p) is not null))
                findings.Add(new(SelectionProblem.MatchesNothing, entry.Key,
                    Format(DslMessages.PatternKeyMatchesNothing, option, entry.Key, architecture, string.Join(", ", paths.Take(3).Select(p => "'" + p + "'")))));
        }
    }

    static string Format(string format, params object[] arguments) => string.Format(CultureInfo.InvariantCulture, format, arguments);
}
