namespace LoraDsl.Generators.Parsing;

/// <summary>A constant LoRA option ("Rank", "Alpha", "Dropout", "UseRsLora", "UseDora") and where it was written.</summary>
public sealed record OptionValue(string Option, double Value, SourceLocation? Location);
