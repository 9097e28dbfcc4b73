using System.Collections.Immutable;
using LoraDsl.Generators.Tests.Infrastructure;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.Diagnostics;

namespace LoraDsl.Generators.Tests;

/// <summary>Half-typed recipes: the generator and the analyzer report and generate what they can, and never throw.</summary>
public sealed class RobustnessTests
{
    private const int Edits = 12;

    public static TheoryData<string> Samples => new()
    {
        "fluent",
        "attributes",
    };

    private static string Source(string sample) => sample == "fluent"
        ? SampleRecipes.Fluent.Replace(".Training(t => t", ".Training(t => t.Betas(0.9, 0.99).Decay(LoraDsl.Training.LearningRateDecay.Cosine).MaxGradNorm(null)")
        : SampleRecipes.Attributes.Replace("public partial class SpamRecipe;", """
            [Setting("training.lr", "1e-3")]
            [Setting("data.files", "a.jsonl,b.jsonl")]
            public partial class SpamRecipe;
            """);

    [Theory]
    [MemberData(nameof(Samples))]
    public async Task DeletedCharactersAndCutOffSources_NeverThrow(string sample)
    {
        var source = Source(sample);
        var start = source.IndexOf("[LoraRecipe", StringComparison.Ordinal);
        for (var i = 0; i < Edits; i++)
        {
            var position = start + (source.Length - start) * i / Edits;
            foreach (var edited in new[] { source.Remove(position, Math.Min(3, source.Length - position)), source[..position] })
            {
                var compilation = TestCompilation.Create(("R.cs", edited));
                var run = TestCompilation.Driver().RunGenerators(compilation).GetRunResult().Results.Single();
                Assert.True(run.Exception is null, $"generator threw at {position}: {run.Exception}");

                var exceptions = new List<Exception>();
                var options = new CompilationWithAnalyzersOptions(
                    new AnalyzerOptions([]), (exception, _, _) => exceptions.Add(exception), concurrentAnalysis: false, logAnalyzerExecutionTime: false);
                await compilation.WithAnalyzers(ImmutableArray.Create<DiagnosticAnalyzer>(new LoraDslAnalyzer()), options).GetAnalyzerDiagnosticsAsync();
                Assert.True(exceptions.Count == 0, $"analyzer threw at {position}: {string.Join("; ", exceptions)}");
            }
        }
    }
}
