using System.Collections.Generic;
using System.Collections.Immutable;

namespace LoraDsl.Generators.Validation;

/// <summary>
/// The project's folder and the files in it, as the build lists them: <c>build_property.ProjectDir</c> and the
/// additional files that build/LoraDsl.Analyzers.targets adds (the project's None items). Paths use '/'.
/// </summary>
public sealed class ProjectFolder(string directory, IEnumerable<string> files)
{
    /// <summary>The MSBuild property that says the project's files are listed as additional files.</summary>
    public const string ListedProperty = "build_property.LoraDslProjectFilesListed";

    public const string DirectoryProperty = "build_property.ProjectDir";

    public string Directory { get; } = Normalize(directory).TrimEnd('/');

    private readonly ImmutableHashSet<string> files = [.. System.Linq.Enumerable.Select(files, Normalize)];

    /// <summary>Whether <paramref name="path"/> (relative to the folder, or absolute) is a file the build knows;
    /// null when the path is outside the folder, so the list cannot tell.</summary>
    public bool? Contains(string path)
    {
        var full = Normalize(IsRooted(path) ? path : Directory + "/" + path);
        if (!full.StartsWith(Directory + "/", System.StringComparison.Ordinal)) return null;
        return files.Contains(full);
    }

    private static bool IsRooted(string path) => path.StartsWith("/", System.StringComparison.Ordinal) || (path.Length > 1 && path[1] == ':');

    // '\' → '/', and "." and ".." segments resolved (no file-system access: analyzers must not do IO).
    public static string Normalize(string path)
    {
        var segments = new List<string>();
        var parts = path.Replace('\\', '/').Split('/');
        for (var i = 0; i < parts.Length; i++)
        {
            var part = parts[i];
            if (part == "." || (part.Length == 0 && i > 0)) continue;
            if (part == ".." && segments.Count > 1) segments.RemoveAt(segments.Count - 1);
            else segments.Add(part);
        }
        return string.Join("/", segments);
    }
}
