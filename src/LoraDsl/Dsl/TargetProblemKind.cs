// Linked into generators/LoraDsl.Generators: the ways a target can fail to fit an architecture, on both sides.
namespace LoraDsl.Dsl;

/// <summary>Why a target does not fit; each maps to one <see cref="DslMessages"/> format and one LORA0xx diagnostic.</summary>
internal enum TargetProblemKind
{
    /// <summary><see cref="DslMessages.UnknownModule"/> (LORA001).</summary>
    UnknownModule,

    /// <summary><see cref="DslMessages.MissingRole"/> (LORA002).</summary>
    MissingRole,

    /// <summary><see cref="DslMessages.MalformedLayers"/> (LORA014).</summary>
    MalformedLayers,

    /// <summary><see cref="DslMessages.LayerOutOfRange"/> (LORA006).</summary>
    LayerOutOfRange,

    /// <summary><see cref="DslMessages.LayersOnSharedModule"/> (LORA008).</summary>
    LayersOnSharedModule,
}
