// Linked into generators/LoraDsl.Generators: the module as the target resolver sees it, on both sides (netstandard2.0-safe).
using System.Collections.Generic;

namespace LoraDsl.Dsl;

/// <summary>
/// One declared module as plain data: DSL name, path template (with <c>{layer}</c> when per-layer), kind and role names
/// (the <see cref="ModuleKind"/> / <see cref="ModuleRole"/> member names, roles in output-slice order).
/// </summary>
internal sealed class DeclaredModule(string name, string pathTemplate, string kind, IReadOnlyList<string> roles)
{
    public const string LayerPlaceholder = "{layer}";

    public string Name { get; } = name;
    public string PathTemplate { get; } = pathTemplate;
    public string Kind { get; } = kind;
    public IReadOnlyList<string> Roles { get; } = roles;

    public bool IsPerLayer => PathTemplate.Contains(LayerPlaceholder);

    public bool IsFused => Roles.Count > 1;

    /// <summary>PEFT's rule for a string target on the path template (<see cref="PeftModuleMatch.IsNamed"/>).</summary>
    public bool MatchesPath(string target) => PeftModuleMatch.IsNamed(PathTemplate, target);

    public override string ToString() => Name;
}
