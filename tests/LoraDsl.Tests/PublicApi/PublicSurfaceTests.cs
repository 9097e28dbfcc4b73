using System.Reflection;
using LoraDsl.Tests.Training;
using Xunit;

namespace LoraDsl.Tests.PublicApi;

/// <summary>
/// The public surface is a promise to users: the exported types of LoraDsl and LoraDsl.Cli are listed in
/// PublicTypes.txt, so a type made public (or dropped) shows up in review. LORADSL_UPDATE_SNAPSHOTS=1 accepts a change.
/// </summary>
public class PublicSurfaceTests
{
    [Fact]
    public void Exported_types_are_the_checked_in_list()
    {
        var assemblies = new[] { typeof(global::LoraDsl.Recipes.RecipeDefinition).Assembly, typeof(global::LoraDsl.Cli.LoraDslCli).Assembly };
        var actual = string.Join("\n", assemblies
            .SelectMany(a => a.GetExportedTypes().Select(t => $"{a.GetName().Name}: {Describe(t)}"))
            .Order(StringComparer.Ordinal)) + "\n";
        var path = Path.Combine(GeneratedLoopTests.RepositoryRoot(), "tests", "LoraDsl.Tests", "PublicApi", "PublicTypes.txt");
        if (Environment.GetEnvironmentVariable("LORADSL_UPDATE_SNAPSHOTS") == "1") File.WriteAllText(path, actual);
        Assert.True(File.Exists(path), $"{path} is missing; run with LORADSL_UPDATE_SNAPSHOTS=1 and review it");
        var expected = File.ReadAllText(path).Replace("\r\n", "\n");
        var added = actual.Split('\n').Except(expected.Split('\n')).ToList();
        var removed = expected.Split('\n').Except(actual.Split('\n')).ToList();
        Assert.True(added.Count == 0 && removed.Count == 0,
            $"Public surface changed. Added: {string.Join("; ", added)}. Removed: {string.Join("; ", removed)}. Make new types internal unless users need them, or accept with LORADSL_UPDATE_SNAPSHOTS=1.");
    }

    static string Describe(Type type)
    {
        var kind = type.IsEnum ? "enum" : type.IsInterface ? "interface" : type.IsValueType ? "struct" : type.IsAbstract && type.IsSealed ? "static class" : "class";
        return $"{kind} {type.FullName}";
    }
}
