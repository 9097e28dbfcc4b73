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

    /// <summary>A list entry: the module's full name equals <paramref name="entry"/> or ends with "." + it.</summary>
    public static bool IsNamed(string path, string entry) =>
        path == entry || path.EndsWith("." + entry, StringComparison.Ordinal);

    /// <summary>True when any of <paramref name="entries"/> names <paramref name="path"/> (<see cref="IsNamed"/>).</summary>
    public static bool IsNamedByAny(string path, IEnumerable<string> entries) => entries.Any(e => IsNamed(path, e));

    /// <summary>A string target as PEFT uses it (<c>re.fullmatch</c>); throws <see cref="ArgumentException"/> for an invalid pattern.</summary>
    public static Regex FullMatch(string pattern) => new Regex("^(?:" + pattern + ")$", RegexOptions.None, RegexTimeout);

    /// <summary>
    /// The layer index PEFT reads from <paramref name="path"/>: the number after the last "." + <paramref name="layersPattern"/> + "."
    /// (any segment when null or empty) that is followed by a further segment; null when there is none.
    /// </summary>
    public static int? LayerIndex(string path, string? layersPattern)
    {
        var segment = string.IsNullOrEmpty(layersPattern) ? "[^.]*" : layersPattern;
        var match = Regex.Match(path, @"^.*\." + segment + @"\.(\d+)\.", RegexOptions.None, RegexTimeout);
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
}
