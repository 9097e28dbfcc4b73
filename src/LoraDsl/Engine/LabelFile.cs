using System.Text.Json;

namespace LoraDsl.Engine;

/// <summary>labels.json beside a classification adapter: class names in index order, for predict.</summary>
internal static class LabelFile
{
    public const string FileName = "labels.json";

    /// <summary>Writes labels.json into <paramref name="adapterDirectory"/>; nothing when there are no labels (not a classifier).</summary>
    public static void WriteInto(string adapterDirectory, IReadOnlyList<string> labels)
    {
        if (labels.Count > 0) Write(Path.Combine(adapterDirectory, FileName), labels);
    }

    public static void Write(string path, IReadOnlyList<string> labels)
    {
        var temp = path + ".tmp";
        File.WriteAllText(temp, JsonSerializer.Serialize(labels));
        File.Move(temp, path, overwrite: true);
    }

    /// <summary>The labels in <paramref name="adapterDirectory"/>, or null when it has none.</summary>
    public static IReadOnlyList<string>? TryRead(string adapterDirectory)
    {
        var path = Path.Combine(adapterDirectory, FileName);
        if (!File.Exists(path)) return null;
        try
        {
            return JsonSerializer.Deserialize<string[]>(File.ReadAllText(path));
        }
        catch (JsonException e)
        {
            throw new Checkpoints.CheckpointFormatException($"'{path}' is not a JSON list of label names: {e.Message}", e);
        }
    }
}
