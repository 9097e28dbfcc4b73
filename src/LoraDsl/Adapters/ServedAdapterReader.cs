using LoraDsl.Checkpoints;
using LoraDsl.Dsl;

namespace LoraDsl.Adapters;

/// <summary>
/// Reads what the serving rules look at from a saved PEFT folder: its adapter_config.json and the names in its
/// safetensors header (no tensor data is read).
/// </summary>
static class ServedAdapterReader
{
    /// <summary>Files that carry tokens added to the vocabulary (PEFT/transformers, vLLM's extra vocabulary).</summary>
    static readonly string[] AddedTokenFiles = ["added_tokens.json", "new_embeddings.safetensors"];

    public static ServedAdapter Read(string directory)
    {
        var configPath = Path.Combine(directory, AdapterFiles.ConfigFile);
        var config = AdapterConfig.Read(configPath);
        var weightsPath = Path.Combine(directory, AdapterFiles.WeightsFile);
        IReadOnlyCollection<string> names = File.Exists(weightsPath) ? SafetensorsFile.Open(weightsPath).Names : [];

        var embeddings = new SortedSet<string>(StringComparer.Ordinal);
        var modules = new SortedSet<string>(StringComparer.Ordinal);
        var biases = false;
        foreach (var name in names)
        {
            if (!name.StartsWith(AdapterFiles.TensorPrefix, StringComparison.Ordinal)) continue;
            var path = name[AdapterFiles.TensorPrefix.Length..];
            if (ModulePath(path, ".lora_embedding_A") is { } embedding)
            {
                embeddings.Add(embedding);
                modules.Add(LastSegment(embedding));
            }
            else if (ModulePath(path, ".lora_A.weight") is { } module) modules.Add(LastSegment(module));
            else if (path.EndsWith(".bias", StringComparison.Ordinal)) biases = true;
        }
        var modulesToSave = config.ModulesToSave ?? [];
        var ranks = config.RankPattern.Values.Append(config.R);
        return new ServedAdapter
        {
            PeftType = config.PeftType,
            Rank = ranks.Max(),
            UseDora = config.UseDora || names.Any(n => n.EndsWith(".lora_magnitude_vector", StringComparison.Ordinal)),
            UseRsLora = config.UseRsLora,
            // A bias tensor in the file is a trained bias whatever the config says.
            Bias = config.Bias switch
            {
                Lora.LoraBias.All => "all",
                Lora.LoraBias.LoraOnly => "lora_only",
                _ => biases ? "all" : "none",
            },
            ModulesToSave = [.. modulesToSave],
            EmbeddingModules = [.. embeddings],
            ModuleNames = [.. modules],
            AddsTokens = AddedTokenFiles.Any(f => File.Exists(Path.Combine(directory, f))),
            HasPatterns = config.RankPattern.Count > 0 || config.AlphaPattern.Count > 0,
        };
    }

    static string? ModulePath(string tensorPath, string suffix) =>
        tensorPath.EndsWith(suffix, StringComparison.Ordinal) ? tensorPath[..^suffix.Length] : null;

    static string LastSegment(string path) => path[(path.LastIndexOf('.') + 1)..];
}
