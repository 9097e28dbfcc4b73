namespace LoraDsl.Adapters;

/// <summary>
/// How an adapter_config.json names the adapted modules, as PEFT reads it: target_modules (names matched as a full
/// path or a ".name" suffix), narrowed by layers_to_transform/layers_pattern and by exclude_modules.
/// </summary>
public sealed record TargetModuleSelection(IReadOnlyList<string> TargetModules)
{
    public IReadOnlyList<int>? LayersToTransform { get; init; }

    public string? LayersPattern { get; init; }

    public IReadOnlyList<string>? ExcludeModules { get; init; }

    /// <summary>target_modules as a string (a full-match regex) instead of <see cref="TargetModules"/>.</summary>
    public string? Pattern { get; init; }

    /// <summary>True when PEFT would adapt <paramref name="path"/> (a Linear/Conv1D module's full name) under this selection.</summary>
    public bool Selects(string path) =>
        Dsl.PeftModuleMatch.Selects(path, TargetModules, Pattern is null ? null : Dsl.PeftModuleMatch.FullMatch(Pattern), LayersToTransform, LayersPattern, ExcludeModules);
}
