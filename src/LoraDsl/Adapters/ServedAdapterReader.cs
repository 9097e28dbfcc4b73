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

    /// <summary>
    /// Reads <paramref name="directory"/>; the base's config.json (from <paramref name="baseDirectory"/>, else the adapter's
    /// base_model_name_or_path when that is a local folder) adds its model_type and whether its head is tied.
    /// </summary>
    public static ServedAdapter Read(string directory, string? baseDirectory = null)
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
        var baseConfig = BaseConfig(baseDirectory ?? config.BaseModelNameOrPath);
        var modelType = baseConfig?["model_type"]?.GetValue<string>();
        // transformers' default: GPT-2 ties its head, the LLaMA family does not unless the config says so.
        var tied = baseConfig?["tie_word_embeddings"] is System.Text.Json.Nodes.JsonValue tie && tie.TryGetValue<bool>(out var flag) ? flag : modelType == "gpt2";
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
            ModelType = modelType,
            AdaptsTiedHead = tied && modules.Contains("lm_head"),
            HasPatterns = config.RankPattern.Count > 0 || config.AlphaPattern.Count > 0,
        };
    }

    static System.Text.Json.Nodes.JsonObject? BaseConfig(string? baseDirectory)
    {
        if (string.IsNullOrEmpty(baseDirectory)) return null;
        var path = Path.Combine(baseDirectory, "config.json");
        return File.Exists(path) ? AdapterConfig.ReadJson(path) : null;
    }

    static string? ModulePath(string tensorPath, string suffix) =>
        tensorPath.EndsWith(suffix, StringComparison.Ordinal) ? tensorPath[..^suffix.Length] : null;

    static string LastSegment(string path) => path[(path.LastIndexOf('.') + 1)..];
}
