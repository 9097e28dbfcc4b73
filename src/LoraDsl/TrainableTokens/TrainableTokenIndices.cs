using System.Text.Json.Nodes;
using LoraDsl.Checkpoints;

namespace LoraDsl.TrainableTokens;

/// <summary>
/// PEFT's <c>trainable_token_indices</c> as adapter_config.json holds it: a list of ids for the model's input embedding,
/// or a map from module name (PEFT's suffix rule) to ids. Exactly one of the two forms is set.
/// </summary>
public sealed record TrainableTokenIndices
{
    /// <summary>The list form: ids of the input embedding (get_input_embeddings).</summary>
    public IReadOnlyList<int>? InputEmbedding { get; init; }

    /// <summary>The map form: module name → ids.</summary>
    public IReadOnlyDictionary<string, IReadOnlyList<int>>? Modules { get; init; }

    /// <summary>The JSON value PEFT writes: [ids] or {"module": [ids]}.</summary>
    public JsonNode ToJson() => InputEmbedding is { } ids
        ? Ids(ids)
        : new JsonObject((Modules ?? new Dictionary<string, IReadOnlyList<int>>()).Select(kv => KeyValuePair.Create(kv.Key, (JsonNode?)Ids(kv.Value))));

    static JsonArray Ids(IReadOnlyList<int> ids) => new([.. ids.Select(i => (JsonNode?)i)]);

    /// <summary>Reads the config value; null (absent) stays null. <paramref name="configPath"/> names the file in errors.</summary>
    public static TrainableTokenIndices? FromJson(JsonNode? node, string configPath) => node switch
    {
        null => null,
        JsonArray list => new TrainableTokenIndices { InputEmbedding = IdsOf(list, "trainable_token_indices", configPath) },
        JsonObject map => new TrainableTokenIndices
        {
            Modules = map.ToDictionary(kv => kv.Key,
                kv => kv.Value is JsonArray ids ? IdsOf(ids, $"trainable_token_indices.{kv.Key}", configPath)
                    : throw new CheckpointFormatException($"Adapter config '{configPath}': trainable_token_indices.{kv.Key} is {kv.Value?.ToJsonString() ?? "null"}, not a list of token ids."),
                StringComparer.Ordinal),
        },
        _ => throw new CheckpointFormatException($"Adapter config '{configPath}': trainable_token_indices is {node.ToJsonString()}, not a list of token ids or a map of module name to ids."),
    };

    static IReadOnlyList<int> IdsOf(JsonArray array, string key, string configPath) =>
        [.. array.Select((n, i) => n is JsonValue v && v.TryGetValue<int>(out var id) && id >= 0 ? id
            : throw new CheckpointFormatException($"Adapter config '{configPath}': {key}[{i}] is {n?.ToJsonString() ?? "null"}, not a token id."))];
}
