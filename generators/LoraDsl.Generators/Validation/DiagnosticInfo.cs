using System.Collections.Immutable;
using LoraDsl.Generators.Parsing;
using Microsoft.CodeAnalysis;

namespace LoraDsl.Generators.Validation;

/// <summary>A diagnostic found by validation, turned into a <see cref="Diagnostic"/> once a compilation is at hand.</summary>
public sealed record DiagnosticInfo(DiagnosticDescriptor Descriptor, SourceLocation? Location, object[] Arguments)
{
    /// <summary>Extra data for code fixes (LORA001: "Suggestion").</summary>
    public ImmutableDictionary<string, string?> Properties { get; init; } = ImmutableDictionary<string, string?>.Empty;

    public Diagnostic ToDiagnostic(Compilation compilation) =>
        Diagnostic.Create(Descriptor, Location?.ToLocation(compilation) ?? Microsoft.CodeAnalysis.Location.None, Properties, Arguments);
}
