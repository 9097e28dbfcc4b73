using System.Text.Json;
using System.Text.Json.Nodes;
using LoraDsl.Training;

namespace LoraDsl.Outputs;

/// <summary>
/// The small file LoraDsl leaves in every folder it creates for a run or a merged model, so that
/// <c>--overwrite</c> can tell its own folders from a user's (only marked folders are ever replaced).
/// </summary>
internal static class OutputMarker
{
    public const string FileName = ".loradsl-output.json";

    public static void Write(string folder, OutputKind kind) =>
        AtomicFile.WriteAllText(Path.Combine(folder, FileName), new JsonObject
        {
            ["kind"] = kind.ToString(),
            ["created_utc"] = DateTime.UtcNow.ToString("O"),
        }.ToJsonString());

    /// <summary>The kind recorded in <paramref name="folder"/>'s marker; null when there is none or it is unreadable.</summary>
    public static OutputKind? Read(string folder)
    {
        var path = Path.Combine(folder, FileName);
        if (!File.Exists(path)) return null;
        try
        {
            var kind = JsonNode.Parse(File.ReadAllText(path))?["kind"]?.GetValue<string>();
            return Enum.TryParse<OutputKind>(kind, out var k) ? k : null;
        }
        catch (Exception e) when (e is JsonException or InvalidOperationException or IOException)
        {
            return null;
        }
    }

    /// <summary>True when <paramref name="folder"/> does not exist or has no entries.</summary>
    public static bool IsNewOrEmpty(string folder) =>
        !Directory.Exists(folder) || !Directory.EnumerateFileSystemEntries(folder).Any();
}
