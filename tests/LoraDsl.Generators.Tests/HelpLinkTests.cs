using System.Reflection;
using System.Text.RegularExpressions;
using LoraDsl.Generators.Diagnostics;
using LoraDsl.Generators.Tests.Infrastructure;
using Microsoft.CodeAnalysis;

namespace LoraDsl.Generators.Tests;

/// <summary>Help links work for a package user: absolute, into the repository the package names, at an anchor that exists.</summary>
public sealed class HelpLinkTests
{
    private static IEnumerable<DiagnosticDescriptor> Descriptors() =>
        typeof(DiagnosticDescriptors).GetFields(BindingFlags.Public | BindingFlags.Static)
            .Where(f => f.FieldType == typeof(DiagnosticDescriptor))
            .Select(f => (DiagnosticDescriptor)f.GetValue(null)!);

    [Fact]
    public void EveryDiagnostic_LinksToItsAnchorInDiagnosticsMd()
    {
        var page = File.ReadAllText(Path.Combine(Sources.RepositoryRoot, "docs", "diagnostics.md"));
        var descriptors = Descriptors().ToList();
        // One row per diagnostic: the page and the descriptors list the same ids.
        Assert.Equal(Regex.Matches(page, "<a id=\"lora\\d{3}\"></a>").Count, descriptors.Count);
        foreach (var d in descriptors)
        {
            var anchor = d.Id.ToLowerInvariant();
            Assert.Equal($"https://github.com/loradsl/LoraDsl/blob/main/docs/diagnostics.md#{anchor}", d.HelpLinkUri);
            Assert.True(Uri.TryCreate(d.HelpLinkUri, UriKind.Absolute, out var uri) && uri.Scheme == "https", d.HelpLinkUri);
            Assert.Contains($"<a id=\"{anchor}\"></a>{d.Id} |", page);
        }
    }

    [Fact]
    public void HelpLinks_PointIntoThePackagesRepository()
    {
        var props = File.ReadAllText(Path.Combine(Sources.RepositoryRoot, "Directory.Build.props"));
        var packageRepository = Regex.Match(props, "<RepositoryUrl>([^<]+)</RepositoryUrl>").Groups[1].Value;
        Assert.Equal(DiagnosticDescriptors.RepositoryUrl, packageRepository);
        Assert.StartsWith(packageRepository + "/", DiagnosticDescriptors.HelpLinkBase);
    }
}
