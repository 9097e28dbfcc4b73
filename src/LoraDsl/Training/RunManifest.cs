using System.Reflection;
using System.Runtime.InteropServices;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using LoraDsl.Data;
using TorchSharp;
using static TorchSharp.torch;

namespace LoraDsl.Training;

/// <summary>run.json: everything needed to say what a run was and to repeat it.</summary>
public static class RunManifest
{
    public static JsonObject Build(RunDescription run, TrainingOptions training, PreparedDataset? data, Device device, string? resumedFrom = null)
    {
        var manifest = new JsonObject
        {
            ["created_utc"] = DateTime.UtcNow.ToString("O"),
            ["recipe"] = new JsonObject
            {
                ["name"] = run.RecipeName,
                ["source_sha256"] = run.RecipeSource is { } source ? Sha256(Encoding.UTF8.GetBytes(source)) : null,
            },
            ["generator_version"] = run.GeneratorVersion ?? InformationalVersion(typeof(RunManifest).Assembly),
            ["packages"] = new JsonObject
            {
                ["LoraDsl"] = InformationalVersion(typeof(RunManifest).Assembly),
                ["TorchSharp"] = InformationalVersion(typeof(torch).Assembly),
                ["libtorch"] = torch.__version__,
                ["dotnet"] = RuntimeInformation.FrameworkDescription,
            },
            ["os"] = RuntimeInformation.OSDescription,
            ["device"] = device.ToString(),
            ["seed"] = training.Seed,
            ["training"] = Serialize(training),
            ["data"] = run.Data is null ? null : Serialize(run.Data),
            ["lora"] = run.Lora is null ? null : Serialize(run.Lora),
            ["data_files"] = new JsonArray([.. (data?.Files ?? run.Data?.Files ?? []).Select(f => (JsonNode)FileIdentity(f))]),
            ["base_model"] = run.BaseModelDirectory is { } baseDir ? BaseModel(baseDir) : null,
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
        var git = GitRevision.Read(run.WorkingDirectory ?? Environment.CurrentDirectory);
        manifest["git"] = git is { } g ? new JsonObject { ["commit"] = g.Commit, ["branch"] = g.Branch } : null;
        return manifest;
    }

    public static void Write(string path, JsonObject manifest) =>
        AtomicFile.WriteAllText(path, manifest.ToJsonString(new JsonSerializerOptions { WriteIndented = true }));

    public static string Sha256(byte[] bytes) => Convert.ToHexStringLower(SHA256.HashData(bytes));

    public static string FileSha256(string path)
    {
        using var stream = File.OpenRead(path);
        return Convert.ToHexStringLower(SHA256.HashData(stream));
    }

    static JsonObject FileIdentity(string path) => new()
    {
        ["path"] = Path.GetFullPath(path),
        ["bytes"] = File.Exists(path) ? new FileInfo(path).Length : null,
        ["sha256"] = File.Exists(path) ? FileSha256(path) : null,
    };

    /// <summary>Path, config.json hash and the weight files' names and sizes (hashing multi-GB weights would take minutes).</summary>
    static JsonObject BaseModel(string directory)
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
