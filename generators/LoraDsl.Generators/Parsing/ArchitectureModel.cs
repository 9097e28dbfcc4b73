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
    /// <summary>The modules as the shared target resolver takes them (<see cref="LoraDsl.Dsl.TargetResolver"/>), in declaration order.</summary>
    internal IReadOnlyList<LoraDsl.Dsl.DeclaredModule> DeclaredModules() =>
        [.. Modules.Select(m => new LoraDsl.Dsl.DeclaredModule(m.Name, m.PathTemplate, m.Kind, m.Roles.AsArray()))];

    public IEnumerable<ModuleModel> ModulesWithRole(string role) => Modules.Where(m => m.Roles.Contains(role));
}
