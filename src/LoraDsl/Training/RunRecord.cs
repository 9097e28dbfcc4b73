using System.Text.Json;
using System.Text.Json.Nodes;

namespace LoraDsl.Training;

/// <summary>What <c>reproduce</c> reads back from a run folder: run.json's recipe identity, overrides and data hashes, and metrics.jsonl's losses.</summary>
internal sealed record RunRecord(
    string RunFile,
    string RecipeName,
    string? SourceSha256,
    IReadOnlyList<KeyValuePair<string, string>> Overrides,
    IReadOnlyList<(string Path, string? Sha256)> DataFiles)
{
    /// <summary>run.json's <c>base_model</c> record (path, config.json hash, weight files and sizes); null when absent.</summary>
    public JsonObject? BaseModel { get; init; }

    /// <summary>Whether run.json has a <c>data_files</c> record at all (a run.json without one cannot vouch for the data).</summary>
    public bool HasDataRecord { get; init; } = true;

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
                BaseModel = root["base_model"] as JsonObject,
                HasDataRecord = root["data_files"] is JsonArray,
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

    /// <summary>
    /// Everything that stops the rerun from being the recorded run, checked before it starts: the recipe source
    /// (<paramref name="currentSourceSha256"/> is this build's), the data files, the starting adapters and the base model
    /// (config.json hash, weight files and sizes); a record run.json lacks is a problem too, since nothing can be compared.
    /// </summary>
    public IReadOnlyList<string> ReproduceProblems(string? currentSourceSha256)
    {
        var problems = new List<string>();
        if (string.IsNullOrEmpty(SourceSha256))
            problems.Add($"run.json records no recipe.source_sha256, so the recipe source cannot be checked");
        else if (currentSourceSha256 != SourceSha256)
            problems.Add($"the recipe '{RecipeName}' source changed (run.json: {Short(SourceSha256)}, this build: {Short(currentSourceSha256)})");
        if (!HasDataRecord) problems.Add("run.json records no data_files, so the data cannot be checked");
        foreach (var file in DataFiles.Where(f => f.Sha256 is null && File.Exists(f.Path)))
            problems.Add($"run.json records no sha256 for data file '{file.Path}', so it cannot be checked");
        foreach (var file in ChangedDataFiles())
            problems.Add(File.Exists(file) ? $"data file '{file}' changed since the run (SHA-256 differs)" : $"data file '{file}' no longer exists");
        foreach (var file in ChangedStartAdapters())
            problems.Add(File.Exists(file) ? $"starting adapter '{file}' changed since the run (SHA-256 differs)" : $"starting adapter '{file}' no longer exists");
        problems.AddRange(BaseModelProblems());
        return problems;
    }

    static string Short(string? sha256) => sha256 is null ? "none" : sha256.Length > 12 ? sha256[..12] + "…" : sha256;

    IEnumerable<string> BaseModelProblems()
    {
        if (BaseModel?["path"]?.GetValue<string>() is not { } path)
        {
            yield return "run.json records no base_model, so the base model cannot be checked";
            yield break;
        }
        if (!System.IO.Directory.Exists(path))
        {
            yield return $"base model folder '{path}' no longer exists";
            yield break;
        }
        var now = RunManifest.BaseModelRecord(path);
        if (BaseModel["config_sha256"]?.GetValue<string>() is not { } config)
            yield return $"run.json records no base_model.config_sha256, so the base model '{path}' cannot be checked";
        else if (now["config_sha256"]?.GetValue<string>() != config)
            yield return $"base model '{path}': config.json changed since the run (SHA-256 differs)";
        var recordedWeights = BaseModel["weights"]?.ToJsonString();
        if (recordedWeights is null)
            yield return $"run.json records no base_model.weights, so the base model '{path}' cannot be checked";
        else if (now["weights"]!.ToJsonString() != recordedWeights)
            yield return $"base model '{path}': weight files changed since the run (names or sizes: recorded {recordedWeights}, now {now["weights"]!.ToJsonString()})";
    }

    /// <summary>Data files whose content differs from (or no longer exists as) what run.json recorded.</summary>
    public IReadOnlyList<string> ChangedDataFiles() => Changed(DataFiles);

    /// <summary>Starting adapters' weights that differ from (or no longer exist as) what run.json recorded.</summary>
    public IReadOnlyList<string> ChangedStartAdapters() => Changed(StartAdapterFiles);

    static IReadOnlyList<string> Changed(IReadOnlyList<(string Path, string? Sha256)> files) =>
        [.. files.Where(f => !File.Exists(f.Path) || (f.Sha256 is not null && RunManifest.FileSha256(f.Path) != f.Sha256)).Select(f => f.Path)];
}
