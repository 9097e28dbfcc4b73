using System.Collections.Immutable;
using LoraDsl.Generators.Tests.Infrastructure;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.Diagnostics;

namespace LoraDsl.Generators.Tests;

/// <summary>
/// The `dotnet new loradsl` template's recipe stays valid as the DSL changes: it compiles with the
/// generator's output and the analyzer reports nothing (build/package-check.sh then trains it from
/// the packages).
/// </summary>
public sealed class TemplateRecipeTests
{
    private static readonly string Content = Path.Combine(
        Sources.RepositoryRoot, "templates", "LoraDsl.Templates", "content", "LoraDslConsole");

    // What the template's project file turns on: <ImplicitUsings>enable</ImplicitUsings> for a console app.
    private const string ImplicitUsings = """
        global using System;
        global using System.Collections.Generic;
        global using System.IO;
        global using System.Linq;
        global using System.Threading;
        global using System.Threading.Tasks;
        """;

    [Fact]
    public async Task TemplateRecipe_CompilesAndTheAnalyzerIsSilent()
    {
        var recipePath = Path.Combine(Content, "SpamRecipe.cs");
        var (output, generated) = TestCompilation.Generate(("Usings.cs", ImplicitUsings), (recipePath, File.ReadAllText(recipePath)));

        Assert.Empty(TestCompilation.Errors(output));
        Assert.Contains("\"spam-minilm\"", generated["LoraDslRecipes.g.cs"]);

        var analyzed = TestCompilation.Create(("Usings.cs", ImplicitUsings), (recipePath, File.ReadAllText(recipePath)))
            .WithAnalyzers(ImmutableArray.Create<DiagnosticAnalyzer>(new LoraDslAnalyzer()));
        Assert.Empty(await analyzed.GetAnalyzerDiagnosticsAsync());
    }

    [Fact]
    public void TemplateProject_AsksForThePackedVersionAndHostsTheCli()
    {
        var project = File.ReadAllText(Path.Combine(Content, "LoraDslConsole.csproj"));
        // The templates project replaces this token with the packed version (LoraDsl.Templates.csproj).
        Assert.Contains("<PackageReference Include=\"LoraDsl\" Version=\"0.0.0-LORADSL-VERSION\" />", project);
        Assert.Contains("<PackageReference Include=\"LoraDsl.Cli\" Version=\"0.0.0-LORADSL-VERSION\" />", project);
        Assert.Contains("return LoraDsl.Cli.LoraDslCli.Run(args, LoraDslRecipes.All);", File.ReadAllText(Path.Combine(Content, "Program.cs")));
        var packer = File.ReadAllText(Path.Combine(Sources.RepositoryRoot, "templates", "LoraDsl.Templates", "LoraDsl.Templates.csproj"));
        Assert.Contains(".Replace('0.0.0-LORADSL-VERSION', '$(PackageVersion)')", packer);
    }
}
