using System.Text.RegularExpressions;
using LoraDsl.Native;
using Xunit;
using static TorchSharp.torch;

namespace LoraDsl.Tests.Native;

/// <summary>
/// Host reads of tensor values go through <see cref="HostMemory"/>, which copies device tensors to the CPU
/// first; this is what keeps evaluation, training and generation correct on CUDA, which these machines lack.
/// </summary>
public partial class HostMemoryTests
{
    [Fact]
    public void No_runtime_or_cli_file_reads_tensor_memory_except_through_HostMemory()
    {
        var root = RepositoryRoot();
        var offenders = RawReads(root, Directory.EnumerateFiles(Path.Combine(root, "src"), "*.cs", SearchOption.AllDirectories)
            .Where(f => Path.GetFileName(f) != "HostMemory.cs"));
        Assert.True(offenders.Count == 0, "raw tensor reads (use HostMemory):\n" + string.Join('\n', offenders));
        Assert.Matches(RawRead(), "x.data<long>()");
        Assert.Matches(RawRead(), "loss.item<float>()");
        Assert.Matches(RawRead(), "file.Write(t.bytes);");
    }

    /// <summary>The training loop is code the generator writes into the user's project: neither the emitter nor any generated shape (the snapshots) reads tensor memory itself.</summary>
    [Fact]
    public void Generated_training_loops_read_tensor_memory_only_through_the_runtime()
    {
        var root = RepositoryRoot();
        var emitter = Directory.EnumerateFiles(Path.Combine(root, "generators", "LoraDsl.Generators", "Emitting"), "*.cs", SearchOption.AllDirectories).ToList();
        var snapshots = Directory.EnumerateFiles(Path.Combine(root, "tests", "LoraDsl.Generators.Tests", "Snapshots"), "*.Recipe.verified.cs").ToList();
        Assert.Contains(emitter, f => Path.GetFileName(f) == "RecipeEmitter.cs");
        // One loop shape (data-parallel): each micro-batch's loss is read through StepOutcome.ReadLoss.
        Assert.Contains(snapshots, f => File.ReadAllText(f).Contains("StepOutcome.ReadLoss(microLoss)", StringComparison.Ordinal));
        Assert.All(snapshots, f => Assert.Contains("gradients.Reduce(localTokens)", File.ReadAllText(f)));
        var offenders = RawReads(root, emitter.Concat(snapshots));
        Assert.True(offenders.Count == 0, "raw tensor reads in generated code (use StepOutcome.FromLoss / ReadLoss):\n" + string.Join('\n', offenders));
    }

    static List<string> RawReads(string root, IEnumerable<string> files)
    {
        var offenders = new List<string>();
        foreach (var file in files)
        {
            if (file.Contains($"{Path.DirectorySeparatorChar}obj{Path.DirectorySeparatorChar}", StringComparison.Ordinal)) continue;
            var lines = File.ReadAllLines(file);
            for (var i = 0; i < lines.Length; i++)
                if (RawRead().IsMatch(lines[i]) && !lines[i].TrimStart().StartsWith("//", StringComparison.Ordinal))
                    offenders.Add($"{Path.GetRelativePath(root, file)}:{i + 1}: {lines[i].Trim()}");
        }
        return offenders;
    }

    [Fact]
    public void Values_of_a_strided_view_come_back_in_row_major_order()
    {
        using var scope = NewDisposeScope();
        var t = arange(6, ScalarType.Int64).reshape(2, 3).t(); // [[0,3],[1,4],[2,5]], not contiguous
        Assert.Equal([0L, 3, 1, 4, 2, 5], HostMemory.ToArray<long>(t));
        Assert.Equal(4L, HostMemory.Item<long>(t[1, 1]));
        Assert.Throws<ArgumentException>(() => HostMemory.Item<long>(t));
    }

    [Fact]
    public void Raw_bytes_are_refused_for_memory_that_is_not_on_the_cpu()
    {
        using var meta = empty([4], ScalarType.Float32, device: META);
        var e = Assert.Throws<InvalidOperationException>(() => HostMemory.Bytes(meta));
        Assert.Contains("CPU", e.Message);
        using var cpu = ones(4);
        Assert.Equal(16, HostMemory.Bytes(cpu).Length);
    }

    static string RepositoryRoot()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
            if (File.Exists(Path.Combine(dir.FullName, "LoraDsl.sln"))) return dir.FullName;
        throw new DirectoryNotFoundException($"No LoraDsl.sln above {AppContext.BaseDirectory}.");
    }

    [GeneratedRegex(@"\.(data|item)<\w+>\(|\.bytes\b")]
    private static partial Regex RawRead();
}
