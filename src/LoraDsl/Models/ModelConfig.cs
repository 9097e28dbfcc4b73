using System.Text.Json.Nodes;

namespace LoraDsl.Models;

/// <summary>The fields every architecture's <c>config.json</c> has, plus the raw JSON.</summary>
public abstract class ModelConfig
{
    /// <summary><c>model_type</c> as written in config.json ("llama", "mistral", "gpt2", "bert", ...).</summary>
    public required string ModelType { get; init; }

    /// <summary>Depth: <c>num_hidden_layers</c> (<c>n_layer</c> for GPT-2).</summary>
    public required int NumLayers { get; init; }

    public required int HiddenSize { get; init; }

    public required int VocabSize { get; init; }

    /// <summary>The whole config.json, for fields an architecture does not model.</summary>
    public required JsonObject Raw { get; init; }

    /// <summary>The config.json file this came from (for error messages), or null when built in code.</summary>
    public string? SourcePath { get; init; }
}
