using System.Reflection;
using System.Runtime.InteropServices;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using LoraDsl.Data;
using LoraDsl.Lora;
using LoraDsl.Recipes;
using TorchSharp;
using static TorchSharp.torch;

namespace LoraDsl.Training;

/// <summary>run.json: everything needed to say what a run was and to repeat it.</summary>
internal static class RunManifest
{
    public const string FileName = "run.json";

    /// <summary>
    /// run.json of a recipe run: the recipe (name, source hash, generator version), every setting as resolved and the
    /// overrides that changed them, the targets placed, seed, data files and starting adapters with their hashes, the base checkpoint's
    /// identity, package versions, device and the git commit with its dirty flag.
    /// </summary>
    public static JsonObject Build(RecipeDefinition recipe, PreparedDataset? data, string baseModelDirectory,
        IReadOnlyList<LoraTarget> targets, Device device, string? resumedFrom = null, string? workingDirectory = null, Distributed.ProcessGroup? processes = null)
    {
        var group = processes ?? Distributed.ProcessGroup.Single;
        if (resumedFrom is not null) RefuseChangedDataSeed(recipe, resumedFrom);
        var manifest = new JsonObject
        {
            ["created_utc"] = DateTime.UtcNow.ToString("O"),
            ["recipe"] = new JsonObject
            {
                ["name"] = recipe.Name,
                ["architecture"] = recipe.Architecture.Name,
                ["source_sha256"] = recipe.SourceSha256,
            },
            ["generator_version"] = recipe.GeneratorVersion,
            ["packages"] = new JsonObject
            {
                ["LoraDsl"] = InformationalVersion(typeof(RunManifest).Assembly),
                ["TorchSharp"] = InformationalVersion(typeof(torch).Assembly),
                ["libtorch"] = torch.__version__,
                ["dotnet"] = RuntimeInformation.FrameworkDescription,
            },
            ["os"] = RuntimeInformation.OSDescription,
            ["device"] = device.ToString(),
            // Data-parallel: how many processes trained (the global batch is batch x accumulation x this) and where.
            ["processes"] = new JsonObject
            {
                ["count"] = group.Size,
                ["hosts"] = new JsonArray([.. group.Hosts.Select(h => (JsonNode)h)]),
            },
            ["seed"] = recipe.Training.Seed,
            ["precision"] = recipe.Training.Precision.Name(),
            ["quantization"] = recipe.EffectiveQuantization is { } q
                ? new JsonObject { ["type"] = q.DataType.ToString().ToLowerInvariant(), ["double_quant"] = q.DoubleQuant, ["blocksize"] = q.BlockSize }
                : null,
            ["settings"] = new JsonObject(recipe.Settings().Select(s => new KeyValuePair<string, JsonNode?>(s.Key, s.Value))),
            ["overrides"] = new JsonArray([.. recipe.Overrides.Select(o => (JsonNode)new JsonObject { ["key"] = o.Key, ["value"] = o.Value })]),
            ["targets"] = new JsonArray([.. targets.Select(Target)]),
            ["training"] = Serialize(recipe.Training),
            ["data"] = Serialize(recipe.Data),
            ["lora"] = Serialize(recipe.Lora),
            ["data_files"] = new JsonArray([.. (data?.Files ?? recipe.Data.Files).Select(f => (JsonNode)FileIdentity(f))]),
            ["base_model"] = BaseModelRecord(baseModelDirectory),
            // The saved adapters the run started from (r.StartFrom): their weights are an input like the data.
            ["start_adapters"] = recipe.Start is { } start
                ? new JsonArray([.. start.Adapters.Select(a => (JsonNode)new JsonObject
                {
                    ["name"] = a.Name,
                    ["weight"] = a.Weight,
                    ["recipe"] = a.Recipe,
                    ["file"] = FileIdentity(Path.Combine(a.Directory, Adapters.AdapterFiles.WeightsFile)),
                })])
                : null,
            ["resumed_from"] = resumedFrom is null ? null : Path.GetFullPath(resumedFrom),
        };
        if (data is not null)
            manifest["dataset"] = new JsonObject
            {
                ["task"] = data.Task.ToString(),
                ["train_examples"] = data.Train.Count,
                ["validation_examples"] = data.Validation.Count,
                ["labels"] = new JsonArray([.. data.Labels.Select(l => (JsonNode)l)]),
                ["dropped_records"] = data.DroppedRecords,
            };
        var directory = workingDirectory ?? Environment.CurrentDirectory;
        var git = GitRevision.Read(directory);
        manifest["git"] = git is { } g ? new JsonObject { ["commit"] = g.Commit, ["branch"] = g.Branch, ["dirty"] = GitRevision.IsDirty(directory) } : null;
        return manifest;
    }

    static JsonNode Target(LoraTarget target) => new JsonObject
    {
        ["path"] = target.Path,
        ["rows"] = target.Rows is null ? null : new JsonArray([.. target.Rows.Select(r => (JsonNode)$"{r.Offset}..{r.End}")]),
    };

    public static void Write(string path, JsonObject manifest) =>
        AtomicFile.WriteAllText(path, manifest.ToJsonString(new JsonSerializerOptions { WriteIndented = true }));

    public static string Sha256(byte[] bytes) => Convert.ToHexStringLower(SHA256.HashData(bytes));

    public static string FileSha256(string path)
    {
        using var stream = File.OpenRead(path);
        return Convert.ToHexStringLower(SHA256.HashData(stream));
    }

    internal static JsonObject FileIdentity(string path) => new()
    {
        ["path"] = Path.GetFullPath(path),
        ["bytes"] = File.Exists(path) ? new FileInfo(path).Length : null,
        ["sha256"] = File.Exists(path) ? FileSha256(path) : null,
    };

    /// <summary>
    /// A resumed run must split and shuffle its data as the run it continues did (as for training.seed, which the
    /// checkpoint holds): the data.seed that run recorded in its run.json must be this run's.
    /// </summary>
    static void RefuseChangedDataSeed(RecipeDefinition recipe, string resumedFrom)
    {
        var checkpoint = Path.TrimEndingDirectorySeparator(Path.GetFullPath(resumedFrom));
        var runFile = Path.Combine(Path.GetDirectoryName(checkpoint)!, FileName);
        if (!File.Exists(runFile)) return;
        JsonNode? recorded;
        try
        {
            recorded = JsonNode.Parse(File.ReadAllText(runFile))?["data"]?["seed"];
        }
        catch (JsonException)
        {
            return;
        }
        if (recorded is JsonValue v && v.TryGetValue<int>(out var seed) && seed != recipe.Data.Seed)
            throw new TrainingCheckpointException(checkpoint, $"the run was started with data.seed {seed} ({runFile}), this run says {recipe.Data.Seed}: " +
                "resuming would change the train/validation split and the data order mid-run. Resume with the same data.seed, or start a new run.");
    }

    /// <summary>Path, config.json hash and the weight files' names and sizes (hashing multi-GB weights would take minutes).</summary>
    internal static JsonObject BaseModelRecord(string directory)
    {
        var config = Path.Combine(directory, "config.json");
        var weights = Directory.Exists(directory)
            ? Directory.GetFiles(directory)
                .Where(f => f.EndsWith(".safetensors", StringComparison.OrdinalIgnoreCase) || f.EndsWith(".bin", StringComparison.OrdinalIgnoreCase))
                .Order(StringComparer.Ordinal)
                .Select(f => (JsonNode)new JsonObject { ["name"] = Path.GetFileName(f), ["bytes"] = new FileInfo(f).Length })
            : [];
        return new JsonObject
        {
            ["path"] = Path.GetFullPath(directory),
            ["config_sha256"] = File.Exists(config) ? FileSha256(config) : null,
            ["weights"] = new JsonArray([.. weights]),
        };
    }

    static JsonNode? Serialize<T>(T value) => JsonSerializer.SerializeToNode(value, TrainingCheckpoint.Json);

    static string InformationalVersion(Assembly assembly) =>
        assembly.GetCustomAttribute<AssemblyInformationalVersionAttribute>()?.InformationalVersion
        ?? assembly.GetName().Version?.ToString()
        ?? "unknown";
}
