using System.Text.Json;

namespace LoraDsl.Engine;

/// <summary>labels.json beside a classification adapter: class names in index order, for predict.</summary>
public static class LabelFile
{
    public static void Write(string path, IReadOnlyList<string> labels)
    {
        var temp = path + ".tmp";
        File.WriteAllText(temp, JsonSerializer.Serialize(labels));
        File.Move(temp, path, overwrite: true);
    }

    /// <summary>The labels in <paramref name="adapterDirectory"/>, or null when it has none.</summary>
    public static IReadOnlyList<string>? TryRead(string adapterDirectory)
    {
        var path = Path.Combine(adapterDirectory, RecipeEngine.LabelsFileName);
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
