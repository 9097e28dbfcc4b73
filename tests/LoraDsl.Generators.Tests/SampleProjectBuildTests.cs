using System.Diagnostics;
using LoraDsl.Generators.Tests.Infrastructure;

namespace LoraDsl.Generators.Tests;

/// <summary>The whole toolchain: a consumer project with a misspelled target fails `dotnet build` with LORA001.</summary>
public sealed class SampleProjectBuildTests
{
    [Fact]
    public void MisspelledTarget_FailsTheBuildWithLora001()
    {
        var folder = Path.Combine(Path.GetTempPath(), "loradsl-sample-" + Guid.NewGuid().ToString("N"));
        Directory.CreateDirectory(folder);
        try
        {
            var root = Sources.RepositoryRoot;
            File.WriteAllText(Path.Combine(folder, "Sample.csproj"), $"""
                <Project Sdk="Microsoft.NET.Sdk">
                  <PropertyGroup>
                    <TargetFramework>net10.0</TargetFramework>
                    <Nullable>enable</Nullable>
                    <ImplicitUsings>enable</ImplicitUsings>
                  </PropertyGroup>
                  <ItemGroup>
                    <ProjectReference Include="{root}/src/LoraDsl/LoraDsl.csproj" />
                    <ProjectReference Include="{root}/generators/LoraDsl.Generators/LoraDsl.Generators.csproj" OutputItemType="Analyzer" ReferenceOutputAssembly="false" />
                  </ItemGroup>
                </Project>
                """);
            File.WriteAllText(Path.Combine(folder, "Recipe.cs"), """
                using LoraDsl.Architectures;
                using LoraDsl.Recipes;

                [LoraRecipe("typo", typeof(Llama), Model = "models/llama")]
                [Target("qproj")]
                public partial class TypoRecipe;
                """);

            var (exitCode, output) = Run("dotnet", $"build \"{folder}\" -nologo -v:q -p:BuildProjectReferences=true", folder);

            Assert.NotEqual(0, exitCode);
            Assert.Contains("Recipe.cs(5,9): error LORA001", output);
            Assert.Contains("did you mean 'q_proj'?", output);
        }
        finally
        {
            Directory.Delete(folder, recursive: true);
        }
    }

    private static (int ExitCode, string Output) Run(string file, string arguments, string directory)
    {
        var start = new ProcessStartInfo(file, arguments)
        {
            WorkingDirectory = directory,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
        };
        // One build node: the machine is shared, and a lingering node would outlive the test.
        start.Environment["MSBUILDDISABLENODEREUSE"] = "1";
        start.Environment["DOTNET_CLI_TELEMETRY_OPTOUT"] = "1";
        using var process = Process.Start(start)!;
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        if (!process.WaitForExit(TimeSpan.FromMinutes(8)))
        {
            process.Kill(entireProcessTree: true);
            throw new TimeoutException("dotnet build of the sample project took over 8 minutes.");
        }
        return (process.ExitCode, stdout.Result + stderr.Result);
    }
}
