// Linked into generators/LoraDsl.Generators: PEFT's rule for the modules an adapter selects exists once (netstandard2.0-safe).
using System;
using System.Collections.Generic;
using System.Globalization;
using System.Linq;
using System.Text.RegularExpressions;

namespace LoraDsl.Dsl;

/// <summary>
/// PEFT's <c>check_target_module_exists</c> over module names: a list entry selects a module whose full name equals it
/// or ends with "." + it; a single string is a regular expression that must match the whole name; with
/// <c>layers_to_transform</c> a list-selected module counts only in those layers (the index after <c>layers_pattern</c>,
/// or after any segment when no pattern is given); <c>exclude_modules</c> entries are never adapted.
/// </summary>
internal static class PeftModuleMatch
{
    static readonly TimeSpan RegexTimeout = TimeSpan.FromSeconds(1);

    /// <summary>PEFT's INCLUDE_LINEAR_LAYERS_SHORTHAND: every Linear/Conv1D module but the output layer.</summary>
    public const string AllLinear = "all-linear";

    /// <summary>A list entry: the module's full name equals <paramref name="entry"/> or ends with "." + it.</summary>
    public static bool IsNamed(string path, string entry) =>
        path == entry || path.EndsWith("." + entry, StringComparison.Ordinal);

    /// <summary>True when any of <paramref name="entries"/> names <paramref name="path"/> (<see cref="IsNamed"/>).</summary>
    public static bool IsNamedByAny(string path, IEnumerable<string> entries) => entries.Any(e => IsNamed(path, e));

    /// <summary>A string target as PEFT uses it (<c>re.fullmatch</c>); throws <see cref="ArgumentException"/> for an invalid pattern.</summary>
    public static Regex FullMatch(string pattern) => new Regex("^(?:" + pattern + ")$", RegexOptions.None, RegexTimeout);

    /// <summary>
    /// The layer index PEFT reads from <paramref name="path"/>: the number after the first "." + <paramref name="layersPattern"/> + "."
    /// (any segment when null or empty) that is followed by a further segment (PEFT's lazy match, so a nested expert index
    /// is not taken for the layer); null when there is none.
    /// </summary>
    public static int? LayerIndex(string path, string? layersPattern)
    {
        var segment = string.IsNullOrEmpty(layersPattern) ? "[^.]*" : layersPattern;
        var match = Regex.Match(path, @"^.*?\." + segment + @"\.(\d+)\.", RegexOptions.None, RegexTimeout);
        return match.Success && int.TryParse(match.Groups[1].Value, NumberStyles.None, CultureInfo.InvariantCulture, out var index) ? index : null;
    }

    /// <summary>The layer a module sits in and the segment before its index ("layers", "h", "layer"), as <see cref="LayerIndex"/> finds it.</summary>
    public static (string Pattern, int Index)? LayerOf(string path)
    {
        var match = Regex.Match(path, @"^.*\.(?<pattern>[^.]*)\.(?<index>\d+)\.", RegexOptions.None, RegexTimeout);
        return match.Success && int.TryParse(match.Groups["index"].Value, NumberStyles.None, CultureInfo.InvariantCulture, out var index)
            ? (match.Groups["pattern"].Value, index)
            : null;
    }

    /// <summary>
    /// True when PEFT adapts the module at <paramref name="path"/>: <paramref name="pattern"/> (a string target_modules)
    /// full-matches it, or <paramref name="targetModules"/> names it and, with <paramref name="layersToTransform"/>, it is in
    /// one of those layers; and no <paramref name="excludeModules"/> entry names it.
    /// </summary>
    public static bool Selects(string path, IReadOnlyList<string> targetModules, Regex? pattern,
        IReadOnlyList<int>? layersToTransform = null, string? layersPattern = null, IReadOnlyList<string>? excludeModules = null)
    {
        if (excludeModules is not null && IsNamedByAny(path, excludeModules)) return false;
        if (pattern is not null) return pattern.IsMatch(path);
        if (targetModules.Contains(path)) return true;
        if (!IsNamedByAny(path, targetModules)) return false;
        if (layersToTransform is null || layersToTransform.Count == 0) return true;
        return LayerIndex(path, layersPattern) is { } layer && layersToTransform.Contains(layer);
    }

    /// <summary>
    /// PEFT's <c>get_pattern_key</c> for rank_pattern / alpha_pattern: the first key (in the dictionary's order) such that
    /// the module name matches <c>(.*\.)?(key)$</c> from its start; null when none does (the default r / lora_alpha apply).
    /// </summary>
    public static string? PatternKey(IEnumerable<string> keys, string path)
    {
        foreach (var key in keys)
            if (Regex.IsMatch(path, @"\A(?:.*\.)?(?:" + key + @")\z", RegexOptions.None, RegexTimeout)) return key;
        return null;
    }

    /// <summary>Why <paramref name="pattern"/> is not a regular expression (.NET's message), or null when it is one.</summary>
    public static string? RegexError(string pattern)
    {
        try
        {
            _ = new Regex(pattern, RegexOptions.None, RegexTimeout);
            return null;
        }
        catch (ArgumentException e)
        {
            return e.Message;
        }
    }

    /// <summary>
    /// The name PEFT's list entries use for a declared module: its DSL name when the path ends with it (q_proj,
    /// attention.output.dense), else the path's last segment.
    /// </summary>
    public static string EntryFor(string name, string pathTemplate) =>
        IsNamed(pathTemplate, name) ? name : pathTemplate.Substring(pathTemplate.LastIndexOf('.') + 1);

    /// <summary>A rank_pattern / alpha_pattern key that matches exactly what <see cref="EntryFor"/> names (dots escaped).</summary>
    public static string PatternKeyFor(string name, string pathTemplate) => Regex.Escape(EntryFor(name, pathTemplate));
}
