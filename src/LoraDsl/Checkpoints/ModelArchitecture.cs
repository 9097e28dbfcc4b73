using System.Text.Json.Nodes;
using LoraDsl.Models;
using static TorchSharp.torch;

namespace LoraDsl.Checkpoints;

/// <summary>
/// How to build one architecture from config.json and map checkpoint names onto it.
/// <paramref name="BaseModelPrefix"/> is HF's base_model_prefix ("model", "transformer", "bert"):
/// checkpoint keys may carry it or not.
/// </summary>
internal sealed record ModelArchitecture(
    IReadOnlyList<string> ModelTypes,
    string BaseModelPrefix,
    Func<JsonObject, string?, ScalarType, Device, PretrainedModel> Create)
{
    /// <summary>Checkpoint keys that are not weights and are dropped silently (GPT-2's attn.bias causal masks).</summary>
    public Func<string, bool> IsIgnoredCheckpointKey { get; init; } = _ => false;

    /// <summary>Further checkpoint names to try for a model key (a multimodal folder's language_model.* copy of the text model).</summary>
    public Func<string, IEnumerable<string>> CheckpointAliases { get; init; } = _ => [];

    /// <summary>Model keys a checkpoint may lack because HF initialises them fresh (a new classification head).</summary>
    public Func<string, bool> IsNewlyInitialized { get; init; } = _ => false;
}
