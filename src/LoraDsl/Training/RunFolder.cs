using System.Text.Json;
using System.Text.Json.Nodes;
using System.Text.RegularExpressions;
using LoraDsl.Outputs;

namespace LoraDsl.Training;

/// <summary>
/// The output folder of a training run. A run starts only in a new or empty folder, continues only
/// in its own folder (resume), and replaces only a folder that LoraDsl wrote as a run (overwrite),
/// so two runs never mix and no user file is deleted.
/// </summary>
internal static partial class RunFolder
{
    public const string AdapterName = "adapter";

    /// <summary>
    /// Makes <paramref name="outputDirectory"/> ready and returns its full path. On resume, leftovers of a
    /// crash are cleaned (temp folders deleted, a checkpoint left aside restored) and metrics.jsonl/csv
    /// are cut back to the checkpoint's step, so replayed steps are not listed twice.
    /// </summary>
    public static string Prepare(string outputDirectory, string? resumeFrom = null, bool overwrite = false)
    {
        var output = Path.TrimEndingDirectorySeparator(Path.GetFullPath(outputDirectory));
        if (File.Exists(output)) throw new OutputFolderException(output, "is a file; the run's output must be a folder.");
        var isRun = IsLoraDslRun(output);
        if (!OutputMarker.IsNewOrEmpty(output) && !isRun)
            throw new OutputFolderException(output, resumeFrom is not null
                ? "holds files that are not a LoraDsl run; resume into the run's own folder or a new one."
                : "holds files that are not a LoraDsl run; a run starts only in a new or empty folder. Choose another output folder.");
        // Claim first, decide after: a second run started at the same moment fails on the lock, not on a half-written folder.
        Directory.CreateDirectory(output);
        RunFolderLock.Acquire(output);
        var empty = Directory.EnumerateFileSystemEntries(output).All(e => Path.GetFileName(e) == RunFolderLock.FileName);
        if (empty || (resumeFrom is null && IsUnstarted(output)))
        {
            foreach (var file in Directory.EnumerateFiles(output).Where(f => Path.GetFileName(f) != RunFolderLock.FileName)) File.Delete(file);
            OutputMarker.Write(output, OutputKind.Run);
            return output;
        }
        if (resumeFrom is not null)
        {
            var checkpoint = Path.GetFullPath(resumeFrom);
            if (!isRun)
                throw new OutputFolderException(output, "holds files that are not a LoraDsl run; resume into the run's own folder or a new one.");
            if (!MergedModelFolder.IsSameOrInside(checkpoint, output))
                throw new OutputFolderException(output, $"holds another run than the one '{checkpoint}' belongs to; resuming here would mix two runs. " +
                    "Resume into that checkpoint's run folder, or set the output folder to a new one.");
            CleanLeftovers(output);
            MetricsFileWriter.TruncateAfter(output, TrainingCheckpoint.ReadState(checkpoint).GlobalStep);
            if (OutputMarker.Read(output) is null) OutputMarker.Write(output, OutputKind.Run);
            return output;
        }
        if (!isRun)
            throw new OutputFolderException(output, "holds files that are not a LoraDsl run; a run starts only in a new or empty folder. Choose another output folder.");
        if (!overwrite)
            throw new OutputFolderException(output, "holds an earlier run; pass --resume " +
                $"{Path.Combine(output, TrainingCheckpoint.LastName)} to continue it, --overwrite to replace it, or choose a new output folder.");
        if (MergedModelFolder.IsSameOrInside(Environment.CurrentDirectory, output))
            throw new OutputFolderException(output, "is (or holds) the working directory; it cannot be replaced. Choose a new output folder.");
        // Swap an empty marked folder in first, then delete the old run: a crash leaves one or the other.
        var aside = Path.Combine(Path.GetDirectoryName(output)!, $".{Path.GetFileName(output)}.{Guid.NewGuid():N}.old");
        Directory.Move(output, aside);
        Directory.CreateDirectory(output);
        RunFolderLock.Acquire(output);
        OutputMarker.Write(output, OutputKind.Run);
        Directory.Delete(aside, recursive: true);
        return output;
    }

    /// <summary>
    /// <see cref="Prepare(string, string?, bool)"/> on process 0 of <paramref name="processes"/>; the other processes of a
    /// data-parallel run write nothing and only get the folder's full path.
    /// </summary>
    public static string Prepare(string outputDirectory, string? resumeFrom, bool overwrite, Distributed.ProcessGroup processes) =>
        processes.IsWriter ? Prepare(outputDirectory, resumeFrom, overwrite) : Path.TrimEndingDirectorySeparator(Path.GetFullPath(outputDirectory));

    /// <summary>A folder with LoraDsl's run marker, or (runs written before the marker existed) a run.json that LoraDsl wrote.</summary>
    public static bool IsLoraDslRun(string folder)
    {
        if (OutputMarker.Read(folder) == OutputKind.Run || File.Exists(Path.Combine(folder, RunFolderLock.FileName))) return true;
        var manifest = Path.Combine(folder, RunManifest.FileName);
        if (!File.Exists(manifest)) return false;
        try
        {
            return JsonNode.Parse(File.ReadAllText(manifest)) is JsonObject o && o["packages"]?["LoraDsl"] is not null;
        }
        catch (Exception e) when (e is JsonException or InvalidOperationException or IOException)
        {
            return false;
        }
    }

    /// <summary>
    /// A folder of a run that did no step (it failed while loading, or was killed before step 1): only the marker,
    /// the lock, run.json, metrics without a training record, and temp leftovers. It is free to reuse.
    /// </summary>
    static bool IsUnstarted(string folder)
    {
        string[] own = [OutputMarker.FileName, RunFolderLock.FileName, RunManifest.FileName, MetricsFileWriter.JsonLinesFile, MetricsFileWriter.CsvFile];
        foreach (var entry in Directory.EnumerateFileSystemEntries(folder))
        {
            var name = Path.GetFileName(entry);
            if (Directory.Exists(entry) || !(own.Contains(name) || Leftover().IsMatch(name))) return false;
        }
        var metrics = Path.Combine(folder, MetricsFileWriter.JsonLinesFile);
        return !File.Exists(metrics) || !File.ReadLines(metrics).Any(l => l.Contains("\"kind\":\"train\"", StringComparison.Ordinal));
    }

    /// <summary>
    /// Deletes the <c>.name.*.tmp</c> entries an interrupted <see cref="AtomicFile"/> write leaves, and the
    /// <c>.name.*.old</c> folders whose replacement is in place; an <c>.old</c> folder without one is renamed back.
    /// </summary>
    public static void CleanLeftovers(string folder)
    {
        foreach (var entry in Directory.EnumerateFileSystemEntries(folder).ToList())
        {
            var match = Leftover().Match(Path.GetFileName(entry));
            if (!match.Success) continue;
            var target = Path.Combine(folder, match.Groups["name"].Value);
            var isDirectory = Directory.Exists(entry);
            if (match.Groups["kind"].Value == "old" && isDirectory && !Directory.Exists(target)) Directory.Move(entry, target);
            else if (isDirectory) Directory.Delete(entry, recursive: true);
            else File.Delete(entry);
        }
    }

    [GeneratedRegex(@"^\.(?<name>.+)\.[0-9a-f]{32}\.(?<kind>tmp|old)$")]
    private static partial Regex Leftover();
}
