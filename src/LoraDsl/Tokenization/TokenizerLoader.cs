using System.Text.Json;
using System.Text.RegularExpressions;
using System.Text.Json.Nodes;
using Microsoft.ML.Tokenizers;

namespace LoraDsl.Tokenization;

/// <summary>
/// Loads the tokenizer of a Hugging Face folder: tokenizer.model (SentencePiece), vocab.json +
/// merges.txt or a byte-level BPE tokenizer.json, or vocab.txt (WordPiece). Special tokens come from
/// tokenizer_config.json, then config.json.
/// </summary>
public static class TokenizerLoader
{
    const string SentencePieceFile = "tokenizer.model";
    const string VocabJsonFile = "vocab.json";
    const string MergesFile = "merges.txt";
    const string VocabTxtFile = "vocab.txt";
    const string TokenizerConfigFile = "tokenizer_config.json";
    const string ModelConfigFile = "config.json";

    const string TokenizerJsonFile = "tokenizer.json";

    /// <summary>The tokenizer of <paramref name="directory"/>.</summary>
    /// <exception cref="TokenizerNotFoundException">The folder or every tokenizer file is missing.</exception>
    /// <exception cref="TokenizerFormatException">A tokenizer file exists but cannot be read; the message names it.</exception>
    public static TextTokenizer Load(string directory)
    {
        var tokenizer = LoadFrom(directory);
        tokenizer.SourceDirectory = Path.GetFullPath(directory);
        return tokenizer;
    }

    static TextTokenizer LoadFrom(string directory)
    {
        if (!Directory.Exists(directory))
            throw new TokenizerNotFoundException($"Tokenizer folder '{directory}' does not exist.");
        string In(string file) => Path.Combine(directory, file);
        var settings = ReadJson(In(TokenizerConfigFile));
        var modelConfig = ReadJson(In(ModelConfigFile));
        if (File.Exists(In(SentencePieceFile)))
            return Reading($"'{In(SentencePieceFile)}'", () => LoadSentencePiece(In(SentencePieceFile), settings, modelConfig));
        if (File.Exists(In(VocabJsonFile)) && File.Exists(In(MergesFile)))
            return Reading($"'{In(VocabJsonFile)}' + '{In(MergesFile)}'", () => LoadVocabAndMerges(In(VocabJsonFile), In(MergesFile), settings, modelConfig));
        if (File.Exists(In(TokenizerJsonFile)))
            return Reading($"'{In(TokenizerJsonFile)}'", () => LoadTokenizerJson(In(TokenizerJsonFile), settings, modelConfig));
        if (File.Exists(In(VocabTxtFile)))
            return Reading($"'{In(VocabTxtFile)}'", () => LoadWordPiece(In(VocabTxtFile), settings));
        throw new TokenizerNotFoundException(
            $"Folder '{directory}' has no tokenizer: {SentencePieceFile}, {VocabJsonFile} + {MergesFile}, {TokenizerJsonFile} and {VocabTxtFile} are all missing.");
    }

    /// <summary>Runs a reader of existing <paramref name="files"/>; whatever it throws becomes an error that names them as unreadable.</summary>
    static TextTokenizer Reading(string files, Func<TextTokenizer> read)
    {
        try
        {
            return read();
        }
        catch (Exception e) when (e is not TokenizerFormatException and not OutOfMemoryException)
        {
            throw new TokenizerFormatException($"Tokenizer file {files} is unreadable (corrupt, truncated or not the format its name says): {e.Message}", e);
        }
    }

    static TokenizerFormatException Unreadable(string path, string why, Exception? inner = null) =>
        inner is null ? new($"Tokenizer file '{path}' is unreadable: {why}") : new($"Tokenizer file '{path}' is unreadable: {why}", inner);

    // GPT-2's pre-tokenizer split; Qwen2 splits digits one by one and keeps newlines apart.
    const string Gpt2Split = @"'s|'t|'re|'ve|'m|'ll|'d| ?\p{L}+| ?\p{N}+| ?[^\s\p{L}\p{N}]+|\s+(?!\S)|\s+";
    const string Qwen2Split = @"(?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\r\n\p{L}\p{N}]?\p{L}+|\p{N}| ?[^\s\p{L}\p{N}]+[\r\n]*|\s*[\r\n]+|\s+(?!\S)|\s+";

    static TextTokenizer LoadVocabAndMerges(string vocabPath, string mergesPath, JsonObject? settings, JsonObject? modelConfig)
    {
        var vocabulary = ReadJson(vocabPath)!;
        var table = TokenIds(vocabulary, vocabPath);
        // Added tokens (<|endoftext|>, <|im_start|>, ...) are matched whole, before the split.
        var special = new Dictionary<string, int>(StringComparer.Ordinal);
        if (settings?["added_tokens_decoder"] is JsonObject added)
            foreach (var (idText, entry) in added)
                if (int.TryParse(idText, out var id) && entry?["content"] is JsonValue c && c.TryGetValue<string>(out var content))
                    special[content] = id;
        var merges = File.ReadLines(mergesPath).Where(l => l.Length > 0 && !l.StartsWith("#version", StringComparison.Ordinal)).ToList();
        var qwen = (TokenString(settings, "tokenizer_class") ?? "").StartsWith("Qwen2", StringComparison.Ordinal);
        return ByteLevel(table, merges, special, qwen ? Qwen2Split : Gpt2Split, prependBos: false, settings, modelConfig);
    }

    /// <summary>A Hugging Face fast-tokenizer file whose model is byte-level BPE (GPT-2, Llama 3, Qwen2, ...).</summary>
    static TextTokenizer LoadTokenizerJson(string path, JsonObject? settings, JsonObject? modelConfig)
    {
        var root = ReadJson(path)!;
        var model = root["model"] as JsonObject;
        var type = model?["type"] is JsonValue t && t.TryGetValue<string>(out var typeName) ? typeName : null;
        var text = root.ToJsonString();
        if (type != "BPE" || model!["vocab"] is not JsonObject vocab || model["merges"] is not JsonArray mergeNodes || !text.Contains("\"ByteLevel\"", StringComparison.Ordinal))
            throw new TokenizerFormatException(
                $"'{path}' holds a {type ?? "unknown"} tokenizer without byte-level BPE; only byte-level BPE tokenizer.json files are supported (else provide tokenizer.model, vocab.json + merges.txt, or vocab.txt).");
        var table = TokenIds(vocab, path);
        // Merges are "a b" strings in older files and [a, b] pairs in newer ones.
        var merges = mergeNodes.Select(m => m switch
        {
            JsonValue v when v.TryGetValue<string>(out var line) => line,
            JsonArray pair when pair.Count == 2 => $"{pair[0]!.GetValue<string>()} {pair[1]!.GetValue<string>()}",
            _ => throw Unreadable(path, $"merge {m?.ToJsonString()} is neither \"a b\" nor [a, b]."),
        }).ToList();
        var special = new Dictionary<string, int>(StringComparer.Ordinal);
        if (root["added_tokens"] is JsonArray added)
            foreach (var entry in added.OfType<JsonObject>())
                if (entry["content"] is JsonValue c && c.TryGetValue<string>(out var content) && entry["id"] is JsonValue i && i.TryGetValue<int>(out var id))
                    special[content] = id;
        var split = FirstSplitRegex(root["pre_tokenizer"]) ?? Gpt2Split;
        // A post-processor template that starts with a special token adds BOS (Llama 3's <|begin_of_text|>).
        var prependBos = TemplateStartsWithSpecialToken(root["post_processor"]);
        return ByteLevel(table, merges, special, split, prependBos, settings, modelConfig);
    }

    static TextTokenizer ByteLevel(Dictionary<string, int> table, List<string> merges, Dictionary<string, int> special, string split,
        bool prependBos, JsonObject? settings, JsonObject? modelConfig)
    {
        foreach (var (token, id) in special) table.TryAdd(token, id);
        if (table.TryGetValue("<|endoftext|>", out var endOfText)) special.TryAdd("<|endoftext|>", endOfText);
        var inner = BpeTokenizer.Create(new BpeOptions(table)
        {
            Merges = merges,
            SpecialTokens = special,
            PreTokenizer = new RegexPreTokenizer(new Regex(split, RegexOptions.Compiled), special),
            ByteLevel = true,
        });
        int? Lookup(string field, string idField, string? fallbackToken)
        {
            var token = TokenString(settings, field) ?? fallbackToken;
            if (token is not null && table.TryGetValue(token, out var id)) return id;
            return IdField(modelConfig, idField);
        }
        var bos = Lookup("bos_token", "bos_token_id", "<|endoftext|>");
        var eos = Lookup("eos_token", "eos_token_id", "<|endoftext|>");
        var pad = Lookup("pad_token", "pad_token_id", null) ?? eos;
        return new TextTokenizer(inner, TokenizerKind.ByteLevelBpe, table.Values.Max() + 1, bos, eos, pad, addsBos: prependBos && bos is not null);
    }

    static Dictionary<string, int> TokenIds(JsonObject vocabulary, string path)
    {
        var table = new Dictionary<string, int>(StringComparer.Ordinal);
        foreach (var (token, node) in vocabulary)
            table[token] = node is JsonValue v && v.TryGetValue<int>(out var id) ? id
                : throw Unreadable(path, $"token '{token}' has no integer id.");
        return table;
    }

    /// <summary>The regex of the first Split pre-tokenizer, searched through Sequence nesting.</summary>
    static string? FirstSplitRegex(JsonNode? node) => node switch
    {
        JsonObject o when o["type"]?.GetValue<string>() == "Split" && o["pattern"]?["Regex"] is JsonValue r && r.TryGetValue<string>(out var regex) => regex,
        JsonObject o when o["pretokenizers"] is JsonArray list => list.Select(FirstSplitRegex).FirstOrDefault(r => r is not null),
        _ => null,
    };

    static bool TemplateStartsWithSpecialToken(JsonNode? node) => node switch
    {
        JsonObject o when o["type"]?.GetValue<string>() == "TemplateProcessing" => o["single"] is JsonArray single && single.Count > 0 && single[0]?["SpecialToken"] is not null,
        JsonObject o when o["processors"] is JsonArray list => list.Any(TemplateStartsWithSpecialToken),
        _ => false,
    };

    static TextTokenizer LoadSentencePiece(string modelPath, JsonObject? settings, JsonObject? modelConfig)
    {
        using var stream = File.OpenRead(modelPath);
        var addBos = settings?["add_bos_token"] is JsonValue v && v.TryGetValue<bool>(out var b) ? b : true;
        var inner = LlamaTokenizer.Create(stream, addBeginOfSentence: addBos, addEndOfSentence: false);
        var pad = IdField(modelConfig, "pad_token_id") ?? inner.EndOfSentenceId;
        return new TextTokenizer(inner, TokenizerKind.SentencePiece, inner.Vocabulary.Count, inner.BeginningOfSentenceId, inner.EndOfSentenceId, pad, addBos);
    }

    static TextTokenizer LoadWordPiece(string vocabPath, JsonObject? settings)
    {
        var lower = settings?["do_lower_case"] is JsonValue v && v.TryGetValue<bool>(out var b) ? b : true;
        var inner = BertTokenizer.Create(vocabPath, new BertOptions { LowerCaseBeforeTokenization = lower });
        var size = File.ReadLines(vocabPath).Count();
        return new TextTokenizer(inner, TokenizerKind.WordPiece, size, inner.ClassificationTokenId, inner.SeparatorTokenId, inner.PaddingTokenId, addsBos: true);
    }

    /// <summary>A special-token field, written either as a string or as {"content": "..."}.</summary>
    static string? TokenString(JsonObject? settings, string field) => settings?[field] switch
    {
        JsonValue v when v.TryGetValue<string>(out var s) => s,
        JsonObject o when o["content"] is JsonValue c && c.TryGetValue<string>(out var s) => s,
        _ => null,
    };

    static int? IdField(JsonObject? config, string field) => config?[field] switch
    {
        JsonValue v when v.TryGetValue<int>(out var id) => id,
        JsonArray a when a.Count > 0 && a[0] is JsonValue v && v.TryGetValue<int>(out var id) => id,
        _ => null,
    };

    /// <summary>The JSON object in <paramref name="path"/>; null only when the file does not exist.</summary>
    static JsonObject? ReadJson(string path)
    {
        if (!File.Exists(path)) return null;
        try
        {
            return JsonNode.Parse(File.ReadAllText(path)) as JsonObject ?? throw Unreadable(path, "not a JSON object.");
        }
        catch (JsonException e)
        {
            throw Unreadable(path, $"not valid JSON: {e.Message}", e);
        }
    }
}
