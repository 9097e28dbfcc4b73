using LoraDsl.CodeFixes;
using Microsoft.CodeAnalysis.CSharp.Testing;
using Microsoft.CodeAnalysis.Testing;

namespace LoraDsl.Generators.Tests.Infrastructure;

/// <summary>Analyzer and code-fix runs over the test host's references (no reference-assembly download).</summary>
public static class Verify
{
    private static readonly ReferenceAssemblies HostReferences = new("net10.0");

    public static Task Analyzer(string source, params DiagnosticResult[] expected) => Analyzer(source, null, expected);

    /// <summary>With a project folder as the build describes it: <c>build_property.ProjectDir</c> and its files listed.</summary>
    public static Task Analyzer(string source, (string Directory, string[] Files)? project, params DiagnosticResult[] expected)
    {
        var test = new CSharpAnalyzerTest<LoraDslAnalyzer, DefaultVerifier> { TestCode = source, ReferenceAssemblies = HostReferences };
        test.TestState.AdditionalReferences.AddRange(TestCompilation.References);
        if (project is var (directory, files))
        {
            test.TestState.AnalyzerConfigFiles.Add(("/.globalconfig", $"""
                is_global = true
                build_property.ProjectDir = {directory}
                build_property.LoraDslProjectFilesListed = true
                """));
            foreach (var file in files) test.TestState.AdditionalFiles.Add((file, ""));
        }
        test.ExpectedDiagnostics.AddRange(expected);
        return test.RunAsync();
    }

    public static Task CodeFix(string source, string fixedSource)
    {
        var test = new CSharpCodeFixTest<LoraDslAnalyzer, SuggestionCodeFix, DefaultVerifier>
        {
            TestCode = source,
            FixedCode = fixedSource,
            ReferenceAssemblies = HostReferences,
        };
        test.TestState.AdditionalReferences.AddRange(TestCompilation.References);
        test.FixedState.AdditionalReferences.AddRange(TestCompilation.References);
        return test.RunAsync();
    }
}
