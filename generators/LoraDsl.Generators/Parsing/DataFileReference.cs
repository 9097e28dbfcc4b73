namespace LoraDsl.Generators.Parsing;

/// <summary>A data file a recipe names as a constant, and where (one per file, for a warning on that file alone).</summary>
public sealed record DataFileReference(string Path, SourceLocation? Location);
