using LoraDsl.Generators.Tests.Infrastructure;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp;
using Microsoft.CodeAnalysis.Diagnostics;
using Xunit;

namespace LoraDsl.Generators.Tests;

/// <summary>
/// Seeded random edits of recipe sources (a token deleted, the file cut short, an attribute or builder argument of
/// the wrong type) never make the generator or the analyzer throw: no CS8785 from the driver, no AD0001.
/// </summary>
public sealed class RecipeSourceFuzzTests
{
    static readonly string[] WrongArguments = ["\"x\"", "1.5", "null", "typeof(string)", "-1", "true", "new[] { 1 }", "default"];

    [Fact]
    public async Task Edited_recipe_sources_never_crash_the_generator_or_the_analyzer()
    {
        var failures = new List<string>();
        var index = 0;
        foreach (var sample in new[] { SampleRecipes.Fluent, SampleRecipes.Attributes })
        {
            for (var i = 0; i < 40; i++, index++)
            {
                var random = new Random(500 + index);
                var edited = Edit(sample, random);
                var compilation = TestCompilation.Create(("Recipe.cs", edited));
                var driver = TestCompilation.Driver().RunGeneratorsAndUpdateCompilation(compilation, out _, out var generatorDiagnostics);
                var result = driver.GetRunResult().Results.Single();
                if (result.Exception is { } thrown) failures.Add($"case {index}: generator threw {thrown.GetType().Name}: {thrown.Message}\n{edited}");
                foreach (var d in generatorDiagnostics.Where(d => d.Id == "CS8785")) failures.Add($"case {index}: {d}");
                var analyzers = compilation.WithAnalyzers([new LoraDslAnalyzer()], new CompilationWithAnalyzersOptions(
                    new AnalyzerOptions([]), onAnalyzerException: null, concurrentAnalysis: false, logAnalyzerExecutionTime: false, reportSuppressedDiagnostics: false));
                var diagnostics = await analyzers.GetAllDiagnosticsAsync();
                foreach (var d in diagnostics.Where(d => d.Id == "AD0001")) failures.Add($"case {index}: {d}");
            }
        }
        Assert.True(failures.Count == 0, string.Join("\n\n", failures.Take(5)));
    }

    /// <summary>One edit: a token deleted, the source cut short, or a literal / typeof argument replaced by another type.</summary>
    static string Edit(string source, Random random)
    {
        var tokens = CSharpSyntaxTree.ParseText(source).GetRoot().DescendantTokens().ToList();
        switch (random.Next(3))
        {
            case 0:
                var token = tokens[random.Next(tokens.Count)];
                return source.Remove(token.SpanStart, token.Span.Length);
            case 1:
                return source[..random.Next(source.Length)];
            default:
                var arguments = CSharpSyntaxTree.ParseText(source).GetRoot().DescendantNodes()
                    .Where(n => n is Microsoft.CodeAnalysis.CSharp.Syntax.LiteralExpressionSyntax or Microsoft.CodeAnalysis.CSharp.Syntax.TypeOfExpressionSyntax
                        or Microsoft.CodeAnalysis.CSharp.Syntax.MemberAccessExpressionSyntax { Parent: Microsoft.CodeAnalysis.CSharp.Syntax.ArgumentSyntax })
                    .ToList();
                var node = arguments[random.Next(arguments.Count)];
                return source.Remove(node.SpanStart, node.Span.Length).Insert(node.SpanStart, WrongArguments[random.Next(WrongArguments.Length)]);
        }
    }
}
