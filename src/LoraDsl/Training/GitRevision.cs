namespace LoraDsl.Training;

/// <summary>Reads the checked-out commit from .git without running git (plain repos, worktrees, packed refs).</summary>
internal static class GitRevision
{
    /// <summary>The commit id and branch (null when detached) of the repository holding <paramref name="directory"/>, or null outside one.</summary>
    public static (string Commit, string? Branch)? Read(string directory)
    {
        for (var dir = new DirectoryInfo(Path.GetFullPath(directory)); dir is not null; dir = dir.Parent)
        {
            var dotGit = Path.Combine(dir.FullName, ".git");
            string? gitDir = null;
            if (Directory.Exists(dotGit)) gitDir = dotGit;
            else if (File.Exists(dotGit))
            {
                // A worktree or submodule: ".git" is a file "gitdir: <path>".
                var line = File.ReadAllText(dotGit).Trim();
                if (line.StartsWith("gitdir:", StringComparison.Ordinal))
                    gitDir = Path.GetFullPath(Path.Combine(dir.FullName, line["gitdir:".Length..].Trim()));
            }
            if (gitDir is null) continue;
            return FromGitDirectory(gitDir);
        }
        return null;
    }

    static (string, string?)? FromGitDirectory(string gitDir)
    {
        var headPath = Path.Combine(gitDir, "HEAD");
        if (!File.Exists(headPath)) return null;
        var head = File.ReadAllText(headPath).Trim();
        if (!head.StartsWith("ref:", StringComparison.Ordinal)) return (head, null);
        var reference = head["ref:".Length..].Trim();
        var branch = reference.StartsWith("refs/heads/", StringComparison.Ordinal) ? reference["refs/heads/".Length..] : reference;
        // Worktrees keep HEAD locally but refs in the common directory.
        var commonDir = gitDir;
        var commonFile = Path.Combine(gitDir, "commondir");
        if (File.Exists(commonFile)) commonDir = Path.GetFullPath(Path.Combine(gitDir, File.ReadAllText(commonFile).Trim()));
        foreach (var root in new[] { gitDir, commonDir }.Distinct())
        {
            var loose = Path.Combine(root, reference.Replace('/', Path.DirectorySeparatorChar));
            if (File.Exists(loose)) return (File.ReadAllText(loose).Trim(), branch);
            var packed = Path.Combine(root, "packed-refs");
            if (!File.Exists(packed)) continue;
            foreach (var line in File.ReadLines(packed))
            {
                if (line.StartsWith('#') || line.StartsWith('^')) continue;
                var parts = line.Split(' ', 2);
                if (parts.Length == 2 && parts[1] == reference) return (parts[0], branch);
            }
        }
        return null;
    }

    /// <summary>
    /// Whether the work tree holding <paramref name="directory"/> has uncommitted changes (<c>git status --porcelain</c>);
    /// null when git cannot be run or does not answer within five seconds.
    /// </summary>
    public static bool? IsDirty(string directory)
    {
        try
        {
            using var git = System.Diagnostics.Process.Start(new System.Diagnostics.ProcessStartInfo("git", "status --porcelain --untracked-files=no")
            {
                WorkingDirectory = directory, RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false,
            });
            if (git is null) return null;
            var output = git.StandardOutput.ReadToEndAsync();
            if (!git.WaitForExit(5000))
            {
                git.Kill();
                return null;
            }
            return git.ExitCode == 0 ? output.Result.Length > 0 : null;
        }
        catch (System.ComponentModel.Win32Exception)
        {
            return null;
        }
    }
}
