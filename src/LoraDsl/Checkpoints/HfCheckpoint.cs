using System.Text.Json;
using System.Text.Json.Nodes;

namespace LoraDsl.Checkpoints;

/// <summary>
/// A Hugging Face model folder: <c>config.json</c> plus weights in <c>model.safetensors</c>, a
/// sharded <c>model.safetensors.index.json</c>, or <c>pytorch_model.bin</c> (plain or sharded).
/// </summary>
internal sealed class HfCheckpoint
{
    public const string ConfigFile = "config.json";
    public const string SafetensorsFileName = "model.safetensors";
    public const string SafetensorsIndexFile = "model.safetensors.index.json";
    public const string PickleFile = "pytorch_model.bin";
    public const string PickleIndexFile = "pytorch_model.bin.index.json";

    HfCheckpoint(string directory, string configPath, JsonObject config)
    {
        Directory = directory;
        ConfigPath = configPath;
        Config = config;
    }

    public string Directory { get; }

    public string ConfigPath { get; }

    /// <summary>config.json, parsed.</summary>
    public JsonObject Config { get; }

    /// <summary><c>model_type</c> from config.json.</summary>
    public string ModelType =>
        Config["model_type"] is JsonValue v && v.TryGetValue<string>(out var s) && s.Length > 0 ? s
            : throw new CheckpointFormatException($"'{ConfigPath}' has no string field 'model_type'.");

    /// <summary>Opens <paramref name="directory"/> and parses its config.json.</summary>
    public static HfCheckpoint Open(string directory)
    {
        if (!System.IO.Directory.Exists(directory))
            throw new CheckpointNotFoundException($"Checkpoint folder '{directory}' does not exist.");
        var configPath = Path.Combine(directory, ConfigFile);
        if (!File.Exists(configPath))
            throw new CheckpointNotFoundException($"Checkpoint folder '{directory}' has no {ConfigFile}.");
        JsonNode? node;
        try
        {
            node = JsonNode.Parse(File.ReadAllText(configPath));
        }
        catch (JsonException e)
        {
            throw new CheckpointFormatException($"'{configPath}' is not valid JSON: {e.Message}", e);
        }
        if (node is not JsonObject config)
            throw new CheckpointFormatException($"'{configPath}' is not a JSON object.");
        return new HfCheckpoint(directory, configPath, config);
    }

    /// <summary>The weight files, in order of preference: safetensors (single, then sharded), then pickles.</summary>
    internal CheckpointTensorSource OpenTensors()
    {
        var single = Path.Combine(Directory, SafetensorsFileName);
        if (File.Exists(single)) return new SafetensorsTensorSource([SafetensorsFile.Open(single)]);
        var index = Path.Combine(Directory, SafetensorsIndexFile);
        if (File.Exists(index)) return new SafetensorsTensorSource(ShardsOf(index).Select(SafetensorsFile.Open));
        var pickle = Path.Combine(Directory, PickleFile);
        if (File.Exists(pickle)) return new PickledTensorSource([pickle]);
        var pickleIndex = Path.Combine(Directory, PickleIndexFile);
        if (File.Exists(pickleIndex)) return new PickledTensorSource(ShardsOf(pickleIndex));
        throw new CheckpointNotFoundException(
            $"Checkpoint folder '{Directory}' has no weights: looked for {SafetensorsFileName}, {SafetensorsIndexFile}, {PickleFile} and {PickleIndexFile}.");
    }

    /// <summary>The distinct shard files an index's <c>weight_map</c> names, each checked to exist.</summary>
    static List<string> ShardsOf(string indexPath)
    {
        JsonNode? node;
        try
        {
            node = JsonNode.Parse(File.ReadAllText(indexPath));
        }
        catch (JsonException e)
        {
            throw new CheckpointFormatException($"'{indexPath}' is not valid JSON: {e.Message}", e);
        }
        if (node?["weight_map"] is not JsonObject map || map.Count == 0)
            throw new CheckpointFormatException($"'{indexPath}' has no non-empty 'weight_map' object.");
        var directory = Path.GetDirectoryName(Path.GetFullPath(indexPath))!;
        var shards = new List<string>();
        foreach (var (tensor, fileNode) in map)
        {
            if (fileNode is not JsonValue v || !v.TryGetValue<string>(out var file) || file.Length == 0 || Path.IsPathRooted(file) || file.Contains(".."))
                throw new CheckpointFormatException($"'{indexPath}': weight_map entry for tensor '{tensor}' is not a relative file name.");
            var path = Path.Combine(directory, file);
            if (shards.Contains(path)) continue;
            if (!File.Exists(path))
                throw new CheckpointNotFoundException($"'{indexPath}' maps tensor '{tensor}' to '{file}', which does not exist in '{directory}'.");
            shards.Add(path);
        }
        return shards;
    }
}
