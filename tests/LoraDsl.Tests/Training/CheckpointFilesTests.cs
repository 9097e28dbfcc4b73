using LoraDsl.Tests.Data;
using LoraDsl.Training;
using Xunit;

namespace LoraDsl.Tests.Training;

public class CheckpointFilesTests
{
    [Fact]
    public void FailedDirectoryWriteLeavesThePreviousVersionIntact()
    {
        using var dir = new TempFolder();
        var target = Path.Combine(dir.Path, "checkpoint-last");
        AtomicFile.WriteDirectory(target, temp => File.WriteAllText(Path.Combine(temp, "a.txt"), "first"));
        Assert.Throws<IOException>(() => AtomicFile.WriteDirectory(target, temp =>
        {
            File.WriteAllText(Path.Combine(temp, "a.txt"), "half");
            throw new IOException("disk full");
        }));
        Assert.Equal("first", File.ReadAllText(Path.Combine(target, "a.txt")));
        Assert.Single(Directory.GetFileSystemEntries(dir.Path));
        AtomicFile.WriteDirectory(target, temp => File.WriteAllText(Path.Combine(temp, "a.txt"), "second"));
        Assert.Equal("second", File.ReadAllText(Path.Combine(target, "a.txt")));
        Assert.Single(Directory.GetFileSystemEntries(dir.Path));
    }

    [Fact]
    public void ACheckpointLeftAsideByAnInterruptedSwapIsFound()
    {
        using var dir = new TempFolder();
        var aside = Path.Combine(dir.Path, ".checkpoint-last.abc.old");
        Directory.CreateDirectory(aside);
        Assert.Equal(aside, AtomicFile.RecoverDirectory(Path.Combine(dir.Path, "checkpoint-last")));
        Assert.Null(AtomicFile.RecoverDirectory(Path.Combine(dir.Path, "checkpoint-best")));
    }

    [Fact]
    public void MissingTrainerStateNamesTheFile()
    {
        using var dir = new TempFolder();
        var e = Assert.Throws<TrainingCheckpointException>(() => TrainingCheckpoint.ReadState(dir.Path));
        Assert.Contains(TrainingCheckpoint.StateFile, e.Message);
        Assert.Contains(dir.Path, e.Message);
    }

    [Fact]
    public void GitRevisionFollowsWorktreeFilesAndPackedRefs()
    {
        using var dir = new TempFolder();
        var common = Path.Combine(dir.Path, "main", ".git");
        var worktreeGit = Path.Combine(common, "worktrees", "wt");
        Directory.CreateDirectory(worktreeGit);
        File.WriteAllText(Path.Combine(common, "packed-refs"), "# pack-refs with: peeled\nfedcba9876543210fedcba9876543210fedcba98 refs/heads/feature\n");
        File.WriteAllText(Path.Combine(worktreeGit, "HEAD"), "ref: refs/heads/feature\n");
        File.WriteAllText(Path.Combine(worktreeGit, "commondir"), "../..\n");
        var worktree = Path.Combine(dir.Path, "wt", "sub");
        Directory.CreateDirectory(worktree);
        File.WriteAllText(Path.Combine(dir.Path, "wt", ".git"), $"gitdir: {worktreeGit}\n");

        var revision = GitRevision.Read(worktree);
        Assert.Equal(("fedcba9876543210fedcba9876543210fedcba98", "feature"), revision);

        File.WriteAllText(Path.Combine(worktreeGit, "HEAD"), "1111111111111111111111111111111111111111\n");
        Assert.Equal(("1111111111111111111111111111111111111111", (string?)null), GitRevision.Read(worktree));
    }
}
