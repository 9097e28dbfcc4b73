using System.Text.RegularExpressions;

namespace LoraDsl.Adapters;

/// <summary>
/// How an adapter_config.json names the adapted modules, as PEFT reads it: target_modules (names matched as a full
/// path or a ".name" suffix), narrowed by layers_to_transform/layers_pattern and by exclude_modules.
/// </summary>
public sealed partial record TargetModuleSelection(IReadOnlyList<string> TargetModules)
{
    public IReadOnlyList<int>? LayersToTransform { get; init; }

    public string? LayersPattern { get; init; }

    public IReadOnlyList<string>? ExcludeModules { get; init; }

    /// <summary>True when PEFT would adapt <paramref name="path"/> (a Linear/Conv1D module's full name) under this selection.</summary>
    public bool Selects(string path)
    {
        static bool Named(string path, string name) => path == name || path.EndsWith("." + name, StringComparison.Ordinal);
        if (ExcludeModules is { } excluded && excluded.Any(e => Named(path, e))) return false;
        if (!TargetModules.Any(t => Named(path, t))) return false;
        if (LayersToTransform is null) return true;
        return LayerOf(path) is { } layer && (LayersPattern is null || layer.Pattern == LayersPattern) && LayersToTransform.Contains(layer.Index);
    }

    /// <summary>The layer a module sits in, as PEFT finds it: the last "&lt;name&gt;.&lt;index&gt;." in its path.</summary>
    public static (string Pattern, int Index)? LayerOf(string path)
    {
        var match = LayerIndex().Match(path);
        return match.Success ? (match.Groups["pattern"].Value, int.Parse(match.Groups["index"].Value, System.Globalization.CultureInfo.InvariantCulture)) : null;
    }

    [GeneratedRegex(@"^(?:.*\.)?(?<pattern>[^.]+)\.(?<index>\d+)\.")]
    private static partial Regex LayerIndex();
}
