namespace LoraDsl.Dsl;

/// <summary>
/// Declares an architecture on a <c>static partial class</c>; the generator adds typed module
/// handles, a descriptor and presets; <c>Lora.TargetPlacement</c> places adapters from the descriptor.
/// </summary>
[AttributeUsage(AttributeTargets.Class, Inherited = false)]
public sealed class LoraArchitectureAttribute(string name) : Attribute
{
    public string Name { get; } = name;

    /// <summary>config.json <c>model_type</c> values this architecture loads.</summary>
    public string[] ModelTypes { get; set; } = [];

    /// <summary>The config.json field holding the number of layers.</summary>
    public string DepthField { get; set; } = "num_hidden_layers";

    /// <summary>A depth known at compile time (0 = unknown), so layer selections can be checked while typing.</summary>
    public int KnownDepth { get; set; }
}
