using System.Text.Json;
using System.Text.RegularExpressions;
using System.Text.Json.Nodes;
using Microsoft.ML.Tokenizers;

namespace LoraDsl.Tokenization;

/// <summary>
/// Loads the tokenizer of a Hugging Face folder: tokenizer.model (SentencePiece), vocab.json +
/// merges.txt (byte-level BPE), or vocab.txt (WordPiece). Special tokens come from
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

    public static TextTokenizer Load(string directory)
    {
        if (!Directory.Exists(directory))
            throw new TokenizerNotFoundException($"Tokenizer folder '{directory}' does not exist.");
        var settings = ReadJson(Path.Combine(directory, TokenizerConfigFile));
        var modelConfig = ReadJson(Path.Combine(directory, ModelConfigFile));
        string In(string file) => Path.Combine(directory, file);
        try
        {
            if (File.Exists(In(SentencePieceFile))) return LoadSentencePiece(In(SentencePieceFile), settings, modelConfig);
            if (File.Exists(In(VocabJsonFile)) && File.Exists(In(MergesFile))) return LoadByteLevel(In(VocabJsonFile), In(MergesFile), settings, modelConfig);
            if (File.Exists(In(VocabTxtFile))) return LoadWordPiece(In(VocabTxtFile), settings);
        }
        catch (Exception e) when (e is not TokenizerNotFoundException)
        {
            throw new TokenizerNotFoundException($"The tokenizer files in '{directory}' could not be read: {e.Message}", e);
        }
        var fastOnly = File.Exists(In("tokenizer.json")) ? " (tokenizer.json alone is not supported)" : "";
        throw new TokenizerNotFoundException(
            $"Folder '{directory}' has no tokenizer{fastOnly}: looked for {SentencePieceFile}, {VocabJsonFile} + {MergesFile}, and {VocabTxtFile}.");
    }

    // GPT-2's pre-tokenizer split; Qwen2 splits digits one by one and keeps newlines apart.
    const string Gpt2Split = @"'s|'t|'re|'ve|'m|'ll|'d| ?\p{L}+| ?\p{N}+| ?[^\s\p{L}\p{N}]+|\s+(?!\S)|\s+";
    const string Qwen2Split = @"(?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\r\n\p{L}\p{N}]?\p{L}+|\p{N}| ?[^\s\p{L}\p{N}]+[\r\n]*|\s*[\r\n]+|\s+(?!\S)|\s+";

    static TextTokenizer LoadByteLevel(string vocabPath, string mergesPath, JsonObject? settings, JsonObject? modelConfig)
    {
        var vocabulary = ReadJson(vocabPath) ?? throw new TokenizerNotFoundException($"'{vocabPath}' is not a JSON object of token ids.");
        var table = new Dictionary<string, int>(StringComparer.Ordinal);
        foreach (var (token, node) in vocabulary)
            table[token] = node is JsonValue v && v.TryGetValue<int>(out var id) ? id
                : throw new TokenizerNotFoundException($"'{vocabPath}': token '{token}' has no integer id.");
        // Added tokens (<|endoftext|>, <|im_start|>, ...) are matched whole, before the split.
        var special = new Dictionary<string, int>(StringComparer.Ordinal);
        if (settings?["added_tokens_decoder"] is JsonObject added)
            foreach (var (idText, entry) in added)
                if (int.TryParse(idText, out var id) && entry?["content"] is JsonValue c && c.TryGetValue<string>(out var content))
                {
                    special[content] = id;
                    table.TryAdd(content, id);
                }
        if (table.TryGetValue("<|endoftext|>", out var endOfText)) special.TryAdd("<|endoftext|>", endOfText);
        var merges = File.ReadLines(mergesPath).Where(l => l.Length > 0 && !l.StartsWith("#version", StringComparison.Ordinal)).ToList();
        var qwen = (TokenString(settings, "tokenizer_class") ?? "").StartsWith("Qwen2", StringComparison.Ordinal);
        var split = new Regex(qwen ? Qwen2Split : Gpt2Split, RegexOptions.Compiled);
        var inner = BpeTokenizer.Create(new BpeOptions(table)
        {
            Merges = merges,
            SpecialTokens = special,
            PreTokenizer = new RegexPreTokenizer(split, special),
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
        return new TextTokenizer(inner, TokenizerKind.ByteLevelBpe, table.Values.Max() + 1, bos, eos, pad, addsBos: false);
    }

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

    static JsonObject? ReadJson(string path)
    {
        if (!File.Exists(path)) return null;
        try
        {
            return JsonNode.Parse(File.ReadAllText(path)) as JsonObject;
        }
        catch (JsonException e)
        {
            throw new TokenizerNotFoundException($"'{path}' is not valid JSON: {e.Message}", e);
        }
    }
}
