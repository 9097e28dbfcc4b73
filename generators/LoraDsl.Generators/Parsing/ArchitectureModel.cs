using System.Collections.Generic;
using System.Linq;

namespace LoraDsl.Generators.Parsing;

/// <summary>A [LoraArchitecture] class as values.</summary>
public sealed record ArchitectureModel(
    string? Namespace,
    string ClassName,
    string FullyQualifiedName,
    string Name,
    EquatableArray<string> ModelTypes,
    string DepthField,
    int? KnownDepth,
    EquatableArray<ModuleModel> Modules)
{
    /// <summary>The module with that DSL name if any, else the modules whose path matches by PEFT's suffix rule.</summary>
    public IEnumerable<ModuleModel> ModulesMatching(string target)
    {
        var exact = Modules.Where(m => m.Name == target).ToList();
        return exact.Count > 0 ? exact : Modules.Where(m => m.MatchesPath(target));
    }

    public IEnumerable<ModuleModel> ModulesWithRole(string role) => Modules.Where(m => m.Roles.Contains(role));
}
