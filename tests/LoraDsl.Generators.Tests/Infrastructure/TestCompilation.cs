using System.Collections.Immutable;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp;

namespace LoraDsl.Generators.Tests.Infrastructure;

/// <summary>Compilations against the test host's own assemblies (the .NET 10 runtime, LoraDsl, TorchSharp).</summary>
public static class TestCompilation
{
    private static readonly Lazy<ImmutableArray<MetadataReference>> references = new(() =>
    [
        .. ((string)AppContext.GetData("TRUSTED_PLATFORM_ASSEMBLIES")!)
            .Split(Path.PathSeparator)
            .Where(path => !Path.GetFileName(path).StartsWith("LoraDsl.Generators", StringComparison.Ordinal))
            .Select(path => (MetadataReference)MetadataReference.CreateFromFile(path)),
    ]);

    public static ImmutableArray<MetadataReference> References => references.Value;

    public static CSharpParseOptions ParseOptions { get; } = new(LanguageVersion.Latest);

    public static CSharpCompilation Create(params (string Path, string Source)[] sources) =>
        CSharpCompilation.Create(
            "Sample",
            sources.Select(s => CSharpSyntaxTree.ParseText(s.Source, ParseOptions, s.Path)),
            References,
            new CSharpCompilationOptions(OutputKind.DynamicallyLinkedLibrary, nullableContextOptions: NullableContextOptions.Enable));

    public static GeneratorDriver Driver(bool trackSteps = false) =>
        CSharpGeneratorDriver.Create(
            [new LoraDslGenerator().AsSourceGenerator()],
            parseOptions: ParseOptions,
            driverOptions: new GeneratorDriverOptions(IncrementalGeneratorOutputKind.None, trackIncrementalGeneratorSteps: trackSteps));

    /// <summary>Runs the generator; returns the output compilation and generated sources by hint name.</summary>
    public static (Compilation Output, IReadOnlyDictionary<string, string> Generated) Generate(params (string Path, string Source)[] sources)
    {
        var driver = Driver().RunGeneratorsAndUpdateCompilation(Create(sources), out var output, out _);
        var generated = driver.GetRunResult().Results.Single().GeneratedSources
            .ToDictionary(s => s.HintName, s => s.SourceText.ToString());
        return (output, generated);
    }

    /// <summary>Errors in the compilation, as readable lines (empty when it compiles).</summary>
    public static string[] Errors(Compilation compilation) =>
        [.. compilation.GetDiagnostics().Where(d => d.Severity == DiagnosticSeverity.Error).Select(d => d.ToString())];
}
