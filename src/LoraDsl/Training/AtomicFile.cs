namespace LoraDsl.Training;

/// <summary>Writes a file or a whole folder so that a crash leaves either the old or the new version, never half of one.</summary>
internal static class AtomicFile
{
    public static void WriteAllText(string path, string text) => Write(path, temp => File.WriteAllText(temp, text));

    public static void WriteAllBytes(string path, byte[] bytes) => Write(path, temp => File.WriteAllBytes(temp, bytes));

    /// <summary>Runs <paramref name="write"/> on a temp file beside <paramref name="path"/>, then renames it over the target.</summary>
    public static void Write(string path, Action<string> write)
    {
        var directory = Path.GetDirectoryName(Path.GetFullPath(path))!;
        Directory.CreateDirectory(directory);
        var temp = Path.Combine(directory, $".{Path.GetFileName(path)}.{Guid.NewGuid():N}.tmp");
        try
        {
            write(temp);
            File.Move(temp, path, overwrite: true);
        }
        finally
        {
            if (File.Exists(temp)) File.Delete(temp);
        }
    }

    /// <summary>
    /// Fills a temp folder beside <paramref name="directory"/> and swaps it in. The previous folder is
    /// renamed aside first and deleted only after the new one is in place.
    /// </summary>
    public static void WriteDirectory(string directory, Action<string> fill)
    {
        var full = Path.GetFullPath(directory);
        var parent = Path.GetDirectoryName(full)!;
        Directory.CreateDirectory(parent);
        var name = Path.GetFileName(full);
        var temp = Path.Combine(parent, $".{name}.{Guid.NewGuid():N}.tmp");
        var aside = Path.Combine(parent, $".{name}.{Guid.NewGuid():N}.old");
        Directory.CreateDirectory(temp);
        try
        {
            fill(temp);
            if (Directory.Exists(full)) Directory.Move(full, aside);
            Directory.Move(temp, full);
        }
        finally
        {
            if (Directory.Exists(temp)) Directory.Delete(temp, recursive: true);
        }
        if (Directory.Exists(aside)) Directory.Delete(aside, recursive: true);
    }

    /// <summary>
    /// Removes what a killed <see cref="WriteDirectory"/> (or another temp-and-rename write) of <paramref name="target"/> left
    /// beside it: <c>.name.&lt;guid&gt;.tmp</c> entries are deleted; a <c>.name.&lt;guid&gt;.old</c> folder is renamed back
    /// when the target is missing, else deleted. Only names of this exact pattern are touched.
    /// </summary>
    public static void CleanLeftoversBeside(string target)
    {
        var full = Path.TrimEndingDirectorySeparator(Path.GetFullPath(target));
        var parent = Path.GetDirectoryName(full);
        if (parent is null || !Directory.Exists(parent)) return;
        var pattern = new System.Text.RegularExpressions.Regex(
            $@"^\.{System.Text.RegularExpressions.Regex.Escape(Path.GetFileName(full))}\.[0-9a-f]{{32}}\.(?<kind>tmp|old)$");
        foreach (var entry in Directory.EnumerateFileSystemEntries(parent).ToList())
        {
            var match = pattern.Match(Path.GetFileName(entry));
            if (!match.Success) continue;
            var isDirectory = Directory.Exists(entry);
            if (match.Groups["kind"].Value == "old" && isDirectory && !Directory.Exists(full)) Directory.Move(entry, full);
            else if (isDirectory) Directory.Delete(entry, recursive: true);
            else File.Delete(entry);
        }
    }

    /// <summary>
    /// The folder itself, or, when a crash struck between the two renames of <see cref="WriteDirectory"/>,
    /// the previous version left aside; null when neither exists.
    /// </summary>
    public static string? RecoverDirectory(string directory)
    {
        var full = Path.GetFullPath(directory);
        if (Directory.Exists(full)) return full;
        var parent = Path.GetDirectoryName(full)!;
        if (!Directory.Exists(parent)) return null;
        return Directory.GetDirectories(parent, $".{Path.GetFileName(full)}.*.old")
            .OrderByDescending(Directory.GetLastWriteTimeUtc)
            .FirstOrDefault();
    }
}
