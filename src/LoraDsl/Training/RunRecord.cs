using System.Text.Json;
using System.Text.Json.Nodes;

namespace LoraDsl.Training;

/// <summary>What <c>reproduce</c> reads back from a run folder: run.json's recipe identity, overrides and data hashes, and metrics.jsonl's losses.</summary>
public sealed record RunRecord(
    string RunFile,
    string RecipeName,
    string? SourceSha256,
    IReadOnlyList<KeyValuePair<string, string>> Overrides,
    IReadOnlyList<(string Path, string? Sha256)> DataFiles)
{
    /// <summary>The weights files of the adapters the run started from (<c>r.StartFrom</c>), with their hashes.</summary>
    public IReadOnlyList<(string Path, string? Sha256)> StartAdapterFiles { get; init; } = [];

    /// <summary>Reads run.json; a file that is not one LoraDsl wrote is a <see cref="TrainingCheckpointException"/> naming it.</summary>
    public static RunRecord Read(string runFile)
    {
        if (!File.Exists(runFile)) throw new TrainingCheckpointException(runFile, "run.json does not exist.");
        try
        {
            var root = JsonNode.Parse(File.ReadAllText(runFile))?.AsObject() ?? throw new TrainingCheckpointException(runFile, "run.json is empty.");
            var name = root["recipe"]?["name"]?.GetValue<string>() ?? throw new TrainingCheckpointException(runFile, "run.json names no recipe (recipe.name).");
            var overrides = (root["overrides"]?.AsArray() ?? [])
                .Select(o => new KeyValuePair<string, string>(o!["key"]!.GetValue<string>(), o["value"]!.GetValue<string>())).ToList();
            var data = (root["data_files"]?.AsArray() ?? [])
                .Select(f => (f!["path"]!.GetValue<string>(), f["sha256"]?.GetValue<string>())).ToList();
            var starts = (root["start_adapters"]?.AsArray() ?? [])
                .Select(a => a!["file"]!).Select(f => (f["path"]!.GetValue<string>(), f["sha256"]?.GetValue<string>())).ToList();
            return new RunRecord(Path.GetFullPath(runFile), name, root["recipe"]?["source_sha256"]?.GetValue<string>(), overrides, data)
            {
                StartAdapterFiles = starts,
            };
        }
        catch (Exception e) when (e is JsonException or InvalidOperationException or NullReferenceException or FormatException)
        {
            throw new TrainingCheckpointException(runFile, $"run.json is not one LoraDsl wrote: {e.Message}", e);
        }
    }

    /// <summary>The run folder holding run.json.</summary>
    public string Directory => Path.GetDirectoryName(RunFile)!;

    /// <summary>The training loss recorded for each step in metrics.jsonl (the last line for a step wins, as after a resume).</summary>
    public IReadOnlyDictionary<int, double> RecordedLosses()
    {
        var path = Path.Combine(Directory, MetricsFileWriter.JsonLinesFile);
        if (!File.Exists(path)) throw new TrainingCheckpointException(path, "metrics.jsonl is missing: there are no recorded losses to compare with.");
        var losses = new SortedDictionary<int, double>();
        var lineNumber = 0;
        foreach (var line in File.ReadLines(path))
        {
            lineNumber++;
            if (line.Length == 0) continue;
            try
            {
                var node = JsonNode.Parse(line)!;
                if (node["kind"]?.GetValue<string>() != "train") continue;
                losses[node["step"]!.GetValue<int>()] = node["loss"]?.GetValue<double>() ?? double.NaN;
            }
            catch (Exception e) when (e is JsonException or InvalidOperationException or NullReferenceException or FormatException)
            {
                throw new TrainingCheckpointException(path, $"line {lineNumber} is not a metrics record: {e.Message}", e);
            }
        }
        return losses;
    }

    /// <summary>Data files whose content differs from (or no longer exists as) what run.json recorded.</summary>
    public IReadOnlyList<string> ChangedDataFiles() => Changed(DataFiles);

    /// <summary>Starting adapters' weights that differ from (or no longer exist as) what run.json recorded.</summary>
    public IReadOnlyList<string> ChangedStartAdapters() => Changed(StartAdapterFiles);

    static IReadOnlyList<string> Changed(IReadOnlyList<(string Path, string? Sha256)> files) =>
        [.. files.Where(f => !File.Exists(f.Path) || (f.Sha256 is not null && RunManifest.FileSha256(f.Path) != f.Sha256)).Select(f => f.Path)];
}
