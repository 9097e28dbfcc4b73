namespace LoraDsl.Dsl;

/// <summary>
/// One adaptable module of an architecture. <paramref name="pathTemplate"/> is the Hugging Face
/// state-dict path; <c>{layer}</c> stands for the layer index.
/// </summary>
[AttributeUsage(AttributeTargets.Class, AllowMultiple = true, Inherited = false)]
public sealed class LoraModuleAttribute(string name, string pathTemplate, ModuleKind kind, ModuleRole role) : Attribute
{
    public string Name { get; } = name;
    public string PathTemplate { get; } = pathTemplate;
    public ModuleKind Kind { get; } = kind;
    public ModuleRole Role { get; } = role;
}
