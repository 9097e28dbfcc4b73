namespace LoraDsl.Dsl;

/// <summary>What an architecture declaration says, as a run-time object (<c>Llama.Descriptor</c>).</summary>
public sealed class ArchitectureDescriptor(
    string name,
    IReadOnlyList<string> modelTypes,
    string depthField,
    int? knownDepth,
    IReadOnlyList<ArchitectureModule> modules)
{
    public string Name { get; } = name;

    /// <summary>config.json <c>model_type</c> values this architecture loads.</summary>
    public IReadOnlyList<string> ModelTypes { get; } = modelTypes;
    public string DepthField { get; } = depthField;

    /// <summary>The depth declared for compile-time checks, if any; the loaded config decides at run time.</summary>
    public int? KnownDepth { get; } = knownDepth;

    /// <summary>Modules in declaration order.</summary>
    public IReadOnlyList<ArchitectureModule> Modules { get; } = modules;

    public IEnumerable<ArchitectureModule> ModulesWithRole(ModuleRole role) => Modules.Where(m => m.Roles.Contains(role));

    /// <summary>The modules as the shared <see cref="TargetResolver"/> takes them (the generator passes its own the same way).</summary>
    internal IReadOnlyList<DeclaredModule> DeclaredModules =>
        declaredModules ??= [.. Modules.Select(m => new DeclaredModule(m.Name, m.PathTemplate, m.Kind.ToString(), [.. m.Roles.Select(r => r.ToString())]))];

    IReadOnlyList<DeclaredModule>? declaredModules;

    /// <summary>Whether config.json's <c>model_type</c> names this architecture; the one rule the loader uses too (<see cref="ModelTypeMatches"/>).</summary>
    public bool Supports(string modelType) => ModelTypes.Any(t => ModelTypeMatches(t, modelType));

    /// <summary>Hugging Face's model_type comparison: ordinal, ignoring case (transformers lower-cases model_type).</summary>
    public static bool ModelTypeMatches(string declared, string found) => string.Equals(declared, found, StringComparison.OrdinalIgnoreCase);

    public override string ToString() => Name;
}
