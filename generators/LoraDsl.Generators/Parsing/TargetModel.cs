namespace LoraDsl.Generators.Parsing;

/// <summary>
/// One target from an attribute or a fluent call. <see cref="Layers"/> is null for every layer;
/// <see cref="LayersUnknown"/> marks a selection that is not a compile-time constant.
/// </summary>
public sealed record TargetModel(
    TargetKind Kind,
    string Value,
    string? Layers,
    bool LayersUnknown,
    SourceLocation? Location,
    SourceLocation? LayersLocation,
    bool IsStringLiteral);
