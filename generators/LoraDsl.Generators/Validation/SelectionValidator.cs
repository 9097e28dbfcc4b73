using System.Collections.Generic;
using System.Globalization;
using System.Linq;
using LoraDsl.Dsl;
using LoraDsl.Generators.Diagnostics;
using LoraDsl.Generators.Parsing;
using Microsoft.CodeAnalysis;

namespace LoraDsl.Generators.Validation;

/// <summary>
/// PEFT's selection options as a recipe states them (l.TargetRegex, l.Exclude, l.LayersToTransform, l.LayersPattern,
/// l.RankPattern, l.AlphaPattern and their [Setting] keys), judged by <see cref="ModuleSelectionRules"/> — the rules and
/// texts the run time applies to <c>--set</c> values — and reported at the entry they are about (LORA032-036).
/// </summary>
public static class SelectionValidator
{
    public static IEnumerable<DiagnosticInfo> Validate(
        RecipeModel recipe, ArchitectureModel? architecture, IReadOnlyList<TargetModel> targets, IReadOnlyList<SelectionEntry> entries)
    {
        if (architecture is null) return [];
        var settings = recipe.Settings.Where(s => s.Key.StartsWith("lora.", System.StringComparison.Ordinal)).ToList();
        SettingValue? Last(string key) => settings.LastOrDefault(s => s.Key == key && s.Text is not null);

        var regex = Last("lora.target_regex");
        var layersSetting = Last("lora.layers_to_transform");
        var layersPattern = Last("lora.layers_pattern");
        var layers = new List<int>();
        foreach (var text in Split(layersSetting?.Text))
            if (int.TryParse(text, NumberStyles.Integer, CultureInfo.InvariantCulture, out var layer)) layers.Add(layer);

        // Where each entry was written, so a finding points at it.
        var located = new List<(string Option, string Key, double Value, SourceLocation? Location)>();
        foreach (var entry in entries)
            if (entry.Key is not null) located.Add((entry.Option, entry.Key, entry.Value ?? 1, entry.Location));
        foreach (var setting in settings.Where(s => s.Text is not null && s.Key is "lora.exclude_modules" or "lora.rank_pattern" or "lora.alpha_pattern"))
            foreach (var text in Split(setting.Text))
            {
                if (setting.Key == "lora.exclude_modules")
                {
                    located.Add((setting.Key, text, 1, setting.Location));
                    continue;
                }
                var equals = text.LastIndexOf('=');
                if (equals > 0 && SettingConstant.ParseNumber(text.Substring(equals + 1)) is { } value)
                    located.Add((setting.Key, text.Substring(0, equals).Trim(), value, setting.Location));
            }

        string? regexText = regex?.Text is { } r && r != "none" && r.Length > 0 ? r : null;
        var depth = recipe.KnownDepth ?? architecture.KnownDepth;
        var paths = ModuleSelectionRules.Paths(architecture.Modules.Select(m => m.PathTemplate), depth);
        var findings = ModuleSelectionRules.Check(architecture.Name, paths, depth, targets.Count > 0, regexText,
            [.. located.Where(e => e.Option == "lora.exclude_modules").Select(e => e.Key)], layers,
            layersPattern?.Text is { } p && p != "none" && p.Length > 0 ? p : null,
            [.. located.Where(e => e.Option == "lora.rank_pattern").Select(e => new KeyValuePair<string, double>(e.Key, e.Value))],
            [.. located.Where(e => e.Option == "lora.alpha_pattern").Select(e => new KeyValuePair<string, double>(e.Key, e.Value))]);

        var diagnostics = new List<DiagnosticInfo>();
        foreach (var finding in findings)
        {
            var location = finding.Problem switch
            {
                SelectionProblem.LayerOutOfRange => layersSetting?.Location,
                _ when regexText is not null && finding.Subject == regexText => regex!.Location,
                _ when layersPattern?.Text == finding.Subject => layersPattern.Location,
                _ => located.FirstOrDefault(e => e.Key == finding.Subject).Location ?? regex?.Location ?? layersSetting?.Location,
            };
            diagnostics.Add(new DiagnosticInfo(Descriptor(finding.Problem), location, [finding.Message]));
        }
        return diagnostics;
    }

    private static DiagnosticDescriptor Descriptor(SelectionProblem problem) => problem switch
    {
        SelectionProblem.InvalidRegex => DiagnosticDescriptors.InvalidModuleRegex,
        SelectionProblem.MatchesNothing => DiagnosticDescriptors.SelectionMatchesNothing,
        SelectionProblem.LayerOutOfRange => DiagnosticDescriptors.LayerToTransformOutOfRange,
        SelectionProblem.ExcludeMatchesNothing => DiagnosticDescriptors.ExcludeMatchesNothing,
        _ => DiagnosticDescriptors.SelectionOptionsConflict,
    };

    private static IEnumerable<string> Split(string? text) =>
        text is null || text == "none" ? [] : text.Split(',').Select(t => t.Trim()).Where(t => t.Length > 0);
}
