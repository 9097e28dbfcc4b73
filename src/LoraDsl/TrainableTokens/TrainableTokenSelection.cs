using System.Globalization;
using System.Text.Json;
using System.Text.Json.Nodes;
using LoraDsl.Data;

namespace LoraDsl.TrainableTokens;

/// <summary>
/// What a recipe says about trainable tokens (PEFT's <c>trainable_token_indices</c>) before the tokenizer is known: tokens of the
/// input embedding and/or of named modules, each token an id or a text. <see cref="Resolve"/> turns it into the ids PEFT saves.
/// </summary>
public sealed record TrainableTokenSelection
{
    /// <summary>Tokens of the model's input embedding (PEFT's list form); null when only named modules are given.</summary>
    public IReadOnlyList<TrainableToken>? InputEmbedding { get; init; }

    /// <summary>Tokens per module name ("embed_tokens", "lm_head"; PEFT's map form).</summary>
    public IReadOnlyDictionary<string, IReadOnlyList<TrainableToken>> Modules { get; init; } = new Dictionary<string, IReadOnlyList<TrainableToken>>();

    /// <summary>True when some token is given by text, so resolving needs the tokenizer.</summary>
    public bool NeedsTokenizer => AllTokens.Any(t => t.Text is not null);

    IEnumerable<TrainableToken> AllTokens => (InputEmbedding ?? []).Concat(Modules.Values.SelectMany(v => v));

    /// <summary>This selection with <paramref name="tokens"/> for the input embedding (replacing what it had).</summary>
    public TrainableTokenSelection WithInputEmbedding(IEnumerable<TrainableToken> tokens) => this with { InputEmbedding = [.. tokens] };

    /// <summary>This selection with <paramref name="tokens"/> for <paramref name="module"/> (replacing what it had).</summary>
    public TrainableTokenSelection WithModule(string module, IEnumerable<TrainableToken> tokens)
    {
        if (string.IsNullOrWhiteSpace(module)) throw new ArgumentException("Trainable tokens need a module name (\"embed_tokens\").", nameof(module));
        var modules = new Dictionary<string, IReadOnlyList<TrainableToken>>(Modules, StringComparer.Ordinal) { [module] = [.. tokens] };
        return this with { Modules = modules };
    }

    /// <summary>
    /// The ids per module, as adapter_config.json writes them: the list form when only the input embedding is named, else the
    /// map form (the input embedding under <paramref name="inputEmbeddingName"/>). A text must be exactly one token of
    /// <paramref name="tokenizer"/>; a token named twice counts once.
    /// </summary>
    /// <exception cref="ArgumentException">A text the tokenizer splits or does not know, or texts without a tokenizer.</exception>
    public TrainableTokenIndices Resolve(Func<ITextTokenizer>? tokenizer, string inputEmbeddingName)
    {
        ITextTokenizer? loaded = null;
        IReadOnlyList<int> Ids(IReadOnlyList<TrainableToken> tokens) => [.. tokens.Select(t => t.Id ?? IdOf(t.Text!)).Distinct()];
        int IdOf(string text)
        {
            loaded ??= tokenizer?.Invoke() ?? throw new ArgumentException(string.Format(CultureInfo.InvariantCulture, Dsl.DslMessages.TrainableTokenWithoutTokenizer, text));
            var ids = loaded.Encode(text);
            return ids.Count == 1 ? ids[0]
                : throw new ArgumentException(string.Format(CultureInfo.InvariantCulture, Dsl.DslMessages.TrainableTokenNotOneToken, text, ids.Count, string.Join(", ", ids)));
        }
        if (Modules.Count == 0) return new TrainableTokenIndices { InputEmbedding = Ids(InputEmbedding ?? []) };
        var map = Modules.ToDictionary(kv => kv.Key, kv => Ids(kv.Value), StringComparer.Ordinal);
        if (InputEmbedding is { } input) map[inputEmbeddingName] = [.. (map.TryGetValue(inputEmbeddingName, out var named) ? named : []).Concat(Ids(input)).Distinct()];
        return new TrainableTokenIndices { Modules = map };
    }

    /// <summary>Ids as PEFT's config holds them, as a selection (a loaded adapter saved again keeps its form).</summary>
    public static TrainableTokenSelection From(TrainableTokenIndices indices) => new()
    {
        InputEmbedding = indices.InputEmbedding?.Select(TrainableToken.OfId).ToList(),
        Modules = (indices.Modules ?? new Dictionary<string, IReadOnlyList<int>>())
            .ToDictionary(kv => kv.Key, kv => (IReadOnlyList<TrainableToken>)[.. kv.Value.Select(TrainableToken.OfId)], StringComparer.Ordinal),
    };

    /// <summary>
    /// The <c>--set lora.trainable_token_indices</c> value: PEFT's JSON (<c>[151645]</c>, <c>{"embed_tokens": [1, 2]}</c>; strings are
    /// token texts) or a comma list of ids and texts (<c>151645,&lt;|im_start|&gt;</c>); empty or "none" is no selection.
    /// </summary>
    /// <exception cref="FormatException">JSON that is neither form.</exception>
    public static TrainableTokenSelection? Parse(string value)
    {
        var text = value.Trim();
        if (text.Length == 0 || text.Equals("none", StringComparison.OrdinalIgnoreCase)) return null;
        if (text[0] is '[' or '{')
        {
            JsonNode? node;
            try
            {
                node = JsonNode.Parse(text);
            }
            catch (JsonException e)
            {
                throw new FormatException($"'{value}' is not valid JSON: {e.Message}", e);
            }
            return node switch
            {
                JsonArray list => new TrainableTokenSelection { InputEmbedding = TokensOf(list, value) },
                // The key "" is the input embedding (how ToString writes both forms together).
                JsonObject map => new TrainableTokenSelection
                {
                    InputEmbedding = map[""] is JsonArray input ? TokensOf(input, value) : null,
                    Modules = map.Where(kv => kv.Key.Length > 0).ToDictionary(kv => kv.Key,
                        kv => kv.Value is JsonArray list ? TokensOf(list, value) : throw new FormatException($"'{value}': module '{kv.Key}' needs a list of tokens."),
                        StringComparer.Ordinal),
                },
                _ => throw new FormatException($"'{value}' is neither a list of tokens nor a map of module name to tokens."),
            };
        }
        return new TrainableTokenSelection { InputEmbedding = [.. text.Split(',', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries).Select(Token)] };
    }

    static TrainableToken Token(string entry) =>
        int.TryParse(entry, NumberStyles.None, CultureInfo.InvariantCulture, out var id) ? TrainableToken.OfId(id) : TrainableToken.OfText(entry);

    static IReadOnlyList<TrainableToken> TokensOf(JsonArray list, string value) =>
        [.. list.Select(n => n switch
        {
            JsonValue v when v.TryGetValue<int>(out var id) && id >= 0 => TrainableToken.OfId(id),
            JsonValue v when v.TryGetValue<string>(out var s) && s.Length > 0 => TrainableToken.OfText(s),
            _ => throw new FormatException($"'{value}': {n?.ToJsonString() ?? "null"} is neither a token id nor a token text."),
        })];

    // Token texts such as <|im_end|> stay readable in run.json and --set (the default encoder writes \u003C).
    static readonly JsonSerializerOptions Spelling = new() { Encoder = System.Text.Encodings.Web.JavaScriptEncoder.UnsafeRelaxedJsonEscaping };

    /// <summary>The JSON spelling <see cref="Parse"/> reads back (run.json, <c>--set</c>): ids as numbers, texts as strings.</summary>
    public override string ToString()
    {
        static JsonArray Json(IEnumerable<TrainableToken> tokens) =>
            new([.. tokens.Select(t => t.Id is { } id ? JsonValue.Create(id) : (JsonNode?)JsonValue.Create(t.Text))]);
        if (Modules.Count == 0) return Json(InputEmbedding ?? []).ToJsonString(Spelling);
        var map = new JsonObject(Modules.Select(kv => KeyValuePair.Create(kv.Key, (JsonNode?)Json(kv.Value))));
        if (InputEmbedding is { } input) map[""] = Json(input);
        return map.ToJsonString(Spelling);
    }
}
