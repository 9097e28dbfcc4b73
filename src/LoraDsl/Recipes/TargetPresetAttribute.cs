using LoraDsl.Dsl;

namespace LoraDsl.Recipes;

/// <summary>Targets a preset set of roles (<see cref="Preset.QV"/>, ...).</summary>
[AttributeUsage(AttributeTargets.Class, AllowMultiple = true, Inherited = false)]
public sealed class TargetPresetAttribute(Preset preset) : Attribute
{
    public Preset Preset { get; } = preset;
    public string? Layers { get; set; }
}
