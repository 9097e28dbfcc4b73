using System.Text.Json;
using System.Text.Json.Nodes;

namespace LoraDsl.Checkpoints;

/// <summary>
/// <c>generation_config.json</c> for a merged folder: the source's own (sampling defaults kept) with <c>eos_token_id</c> as the
/// full list a server stops on: config.json's and the source generation config's ids, tokenizer_config's eos_token, and every
/// end-of-turn token the chat template writes (ChatML's &lt;|im_end|&gt;, Llama 3's &lt;|eot_id|&gt;, ...). vLLM and TGI read this list;
/// a model whose template ends turns with a token missing from it generates past the answer.
/// </summary>
static class GenerationConfigFile
{
    public const string FileName = "generation_config.json";

    /// <summary>Tokens that end a turn in the chat templates of common families.</summary>
    static readonly string[] EndOfTurnTokens = ["<|im_end|>", "<|eot_id|>", "<|eom_id|>", "<|end|>", "<end_of_turn>", "<|end_of_text|>", "<|endoftext|>", "</s>"];

    /// <summary>Writes the file into <paramref name="folder"/> from <paramref name="sourceDirectory"/>'s files and the model's config.</summary>
    public static void Write(string sourceDirectory, JsonObject modelConfig, string folder)
    {
        var generation = ReadObject(Path.Combine(sourceDirectory, FileName)) ?? new JsonObject();
        var tokenizerConfig = ReadObject(Path.Combine(sourceDirectory, "tokenizer_config.json"));
        var vocabulary = Vocabulary(sourceDirectory);

        var eos = new List<long>();
        Add(eos, modelConfig["eos_token_id"]);
        Add(eos, generation["eos_token_id"]);
        if (TokenText(tokenizerConfig?["eos_token"]) is { } eosText && vocabulary.TryGetValue(eosText, out var eosId)) Add(eos, eosId);
        var template = ChatTemplate(sourceDirectory, tokenizerConfig);
        if (template is not null)
            foreach (var token in EndOfTurnTokens)
                if (template.Contains(token, StringComparison.Ordinal) && vocabulary.TryGetValue(token, out var id)) Add(eos, id);

        foreach (var key in new[] { "bos_token_id", "pad_token_id" })
            if (generation[key] is null && modelConfig[key] is { } value) generation[key] = value.DeepClone();
        if (eos.Count > 0) generation["eos_token_id"] = eos.Count == 1 ? eos[0] : new JsonArray([.. eos.Select(e => (JsonNode?)e)]);
        generation.Remove("transformers_version");
        File.WriteAllText(Path.Combine(folder, FileName), generation.ToJsonString(new JsonSerializerOptions { WriteIndented = true }));
    }

    /// <summary>The chat template: chat_template.jinja (transformers ≥ 4.47), else tokenizer_config.json's chat_template.</summary>
    static string? ChatTemplate(string sourceDirectory, JsonObject? tokenizerConfig)
    {
        var jinja = Path.Combine(sourceDirectory, "chat_template.jinja");
        if (File.Exists(jinja)) return File.ReadAllText(jinja);
        return tokenizerConfig?["chat_template"] switch
        {
            JsonValue v when v.TryGetValue<string>(out var text) => text,
            JsonArray named => string.Join("\n", named.Select(t => t?["template"]?.ToString())),
            _ => null,
        };
    }

    // Token text → id from vocab.json, then tokenizer.json (its model's vocab and its added tokens).
    static Dictionary<string, long> Vocabulary(string sourceDirectory)
    {
        var vocabulary = new Dictionary<string, long>(StringComparer.Ordinal);
        void AddAll(JsonObject? vocab)
        {
            if (vocab is null) return;
            foreach (var (token, id) in vocab)
                if (id is JsonValue v && v.TryGetValue<long>(out var value)) vocabulary[token] = value;
        }
        AddAll(ReadObject(Path.Combine(sourceDirectory, "vocab.json")));
        if (ReadObject(Path.Combine(sourceDirectory, "tokenizer.json")) is { } tokenizer)
        {
            AddAll(tokenizer["model"]?["vocab"] as JsonObject);
            if (tokenizer["added_tokens"] is JsonArray added)
                foreach (var token in added)
                    if (token?["content"]?.ToString() is { } content && token["id"] is JsonValue v && v.TryGetValue<long>(out var value)) vocabulary[content] = value;
        }
        return vocabulary;
    }

    static string? TokenText(JsonNode? node) => node switch
    {
        JsonValue v when v.TryGetValue<string>(out var text) => text,
        JsonObject o => o["content"]?.ToString(),
        _ => null,
    };

    static void Add(List<long> ids, JsonNode? node)
    {
        switch (node)
        {
            case JsonValue v when v.TryGetValue<long>(out var id):
                Add(ids, id);
                break;
            case JsonArray list:
                foreach (var item in list) Add(ids, item);
                break;
        }
    }

    static void Add(List<long> ids, long id)
    {
        if (!ids.Contains(id)) ids.Add(id);
    }

    static JsonObject? ReadObject(string path)
    {
        if (!File.Exists(path)) return null;
        try
        {
            return JsonNode.Parse(File.ReadAllText(path)) as JsonObject;
        }
        catch (JsonException e)
        {
            throw new CheckpointFormatException($"'{path}' is not valid JSON: {e.Message}", e);
        }
    }
}
