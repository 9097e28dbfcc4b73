using System.Text.Json.Nodes;
using LoraDsl.Tokenization;

namespace LoraDsl.Gguf;

/// <summary>
/// Reads a Hugging Face folder's tokenizer files into the vocabulary llama.cpp expects, in the order
/// <see cref="TokenizerLoader"/> prefers them: tokenizer.model (SentencePiece), vocab.json + merges.txt, tokenizer.json
/// (byte-level BPE). Token ids stay as they are; ids the model has but the tokenizer lacks become unused "[PADn]".
/// </summary>
internal static class GgufVocabularyReader
{
    // The split regexes of the pre-tokenizers llama.cpp knows by name (llama-vocab.cpp).
    const string Gpt2Split = @"'s|'t|'re|'ve|'m|'ll|'d| ?\p{L}+| ?\p{N}+| ?[^\s\p{L}\p{N}]+|\s+(?!\S)|\s+";
    const string Llama3Split = @"(?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\r\n\p{L}\p{N}]?\p{L}+|\p{N}{1,3}| ?[^\s\p{L}\p{N}]+[\r\n]*|\s*[\r\n]+|\s+(?!\S)|\s+";
    const string Qwen2Split = @"(?:'[sS]|'[tT]|'[rR][eE]|'[vV][eE]|'[mM]|'[lL][lL]|'[dD])|[^\r\n\p{L}\p{N}]?\p{L}+|\p{N}| ?[^\s\p{L}\p{N}]+[\r\n]*|\s*[\r\n]+|\s+(?!\S)|\s+";
    const string Qwen2SplitCaseless = @"(?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\r\n\p{L}\p{N}]?\p{L}+|\p{N}| ?[^\s\p{L}\p{N}]+[\r\n]*|\s*[\r\n]+|\s+(?!\S)|\s+";

    /// <summary>The vocabulary of <paramref name="directory"/>, padded to <paramref name="modelVocabSize"/> ids.</summary>
    public static GgufVocabulary Read(string directory, int modelVocabSize, JsonObject modelConfig)
    {
        string In(string file) => Path.Combine(directory, file);
        var settings = ReadJson(In("tokenizer_config.json"));
        var tokenizerJson = ReadJson(In("tokenizer.json"));
        GgufVocabulary vocabulary;
        if (File.Exists(In("tokenizer.model"))) vocabulary = SentencePiece(In("tokenizer.model"), settings, tokenizerJson, modelConfig);
        else if (File.Exists(In("vocab.json")) && File.Exists(In("merges.txt")))
        {
            var vocab = ReadJson(In("vocab.json"))!;
            var merges = File.ReadLines(In("merges.txt")).Where(l => l.Length > 0 && !l.StartsWith("#version", StringComparison.Ordinal)).ToList();
            var qwen = (TokenString(settings, "tokenizer_class") ?? "").StartsWith("Qwen2", StringComparison.Ordinal);
            vocabulary = ByteLevel(In("vocab.json"), vocab, merges, settings, tokenizerJson, modelConfig, qwen ? "qwen2" : null);
        }
        else if (tokenizerJson?["model"] is JsonObject model && model["vocab"] is JsonObject vocab && model["merges"] is JsonArray mergeNodes)
        {
            var merges = mergeNodes.Select(m => m is JsonArray pair ? $"{pair[0]!.GetValue<string>()} {pair[1]!.GetValue<string>()}" : m!.GetValue<string>()).ToList();
            vocabulary = ByteLevel(In("tokenizer.json"), vocab, merges, settings, tokenizerJson, modelConfig, null);
        }
        else
            throw new TokenizerNotFoundException(
                $"Folder '{directory}' has no tokenizer llama.cpp can hold: tokenizer.model (SentencePiece), vocab.json + merges.txt or a byte-level BPE tokenizer.json.");
        return Padded(vocabulary, modelVocabSize, directory) with { ChatTemplate = ChatTemplate(directory, settings) };
    }

    static GgufVocabulary SentencePiece(string path, JsonObject? settings, JsonObject? tokenizerJson, JsonObject modelConfig)
    {
        var (pieces, addDummyPrefix) = SentencePieceModelFile.Read(path);
        var tokens = pieces.Select(p => p.Piece).ToList();
        var types = pieces.Select(p => p.Type is >= GgufVocabulary.Normal and <= GgufVocabulary.Byte ? p.Type : GgufVocabulary.Normal).ToList();
        var scores = pieces.Select(p => p.Score).ToList();
        AddTokens(tokens, types, scores, settings, tokenizerJson);
        var unknown = types.IndexOf(GgufVocabulary.Unknown);
        return new GgufVocabulary
        {
            Model = "llama",
            Pre = "default",
            Tokens = tokens,
            TokenTypes = types,
            Scores = scores,
            // The model's own <s> and </s> before config.json's ids, which may name another tokenizer's tokens.
            BosId = SpecialId(tokens, settings, "bos_token", null, "") ?? Index(tokens, "<s>") ?? SpecialId(tokens, null, "", modelConfig, "bos_token_id"),
            EosId = SpecialId(tokens, settings, "eos_token", null, "") ?? Index(tokens, "</s>") ?? SpecialId(tokens, null, "", modelConfig, "eos_token_id"),
            UnknownId = unknown >= 0 ? unknown : null,
            PadId = SpecialId(tokens, settings, "pad_token", modelConfig, "pad_token_id"),
            AddBos = Flag(settings, "add_bos_token") ?? true,
            AddEos = Flag(settings, "add_eos_token") ?? false,
            AddSpacePrefix = addDummyPrefix,
        };
    }

    static GgufVocabulary ByteLevel(string source, JsonObject vocab, List<string> merges, JsonObject? settings, JsonObject? tokenizerJson,
        JsonObject modelConfig, string? pre)
    {
        var byId = new SortedDictionary<int, string>();
        foreach (var (token, node) in vocab)
            byId[node!.GetValue<int>()] = token;
        var tokens = new List<string>();
        var types = new List<int>();
        foreach (var (id, token) in byId)
        {
            while (tokens.Count < id)
            {
                tokens.Add($"[PAD{tokens.Count}]");
                types.Add(GgufVocabulary.Unused);
            }
            tokens.Add(token);
            types.Add(GgufVocabulary.Normal);
        }
        AddTokens(tokens, types, null, settings, tokenizerJson);
        // Special tokens named only in tokenizer_config (GPT-2's <|endoftext|>) are control tokens, as in HF's added vocabulary.
        foreach (var field in new[] { "bos_token", "eos_token", "unk_token", "pad_token" })
            if (TokenString(settings, field) is { } special && Index(tokens, special) is { } at && types[at] == GgufVocabulary.Normal && special.StartsWith('<'))
                types[at] = GgufVocabulary.Control;
        if (Index(tokens, "<|endoftext|>") is { } endOfText) types[endOfText] = GgufVocabulary.Control;
        var warnings = new List<string>();
        pre ??= PreTokenizerName(tokenizerJson, source, warnings);
        var bos = SpecialId(tokens, settings, "bos_token", modelConfig, "bos_token_id");
        return new GgufVocabulary
        {
            Model = "gpt2",
            Pre = pre,
            Tokens = tokens,
            TokenTypes = types,
            Merges = merges,
            BosId = bos,
            EosId = SpecialId(tokens, settings, "eos_token", modelConfig, "eos_token_id"),
            UnknownId = SpecialId(tokens, settings, "unk_token", null, ""),
            PadId = SpecialId(tokens, settings, "pad_token", modelConfig, "pad_token_id"),
            // Byte-level BPE adds BOS only where the tokenizer says so (Llama 3's post-processor, add_bos_token).
            AddBos = Flag(settings, "add_bos_token") ?? (pre == "llama-bpe" && bos is not null),
            AddEos = Flag(settings, "add_eos_token") ?? false,
            Warnings = warnings,
        };
    }

    /// <summary>llama.cpp's name for the split regex of tokenizer.json's pre-tokenizer ("gpt-2" without one).</summary>
    static string PreTokenizerName(JsonObject? tokenizerJson, string source, List<string> warnings)
    {
        var regex = FirstSplitRegex(tokenizerJson?["pre_tokenizer"]);
        switch (regex)
        {
            case null or Gpt2Split: return "gpt-2";
            case Llama3Split: return "llama-bpe";
            case Qwen2Split or Qwen2SplitCaseless: return "qwen2";
            default:
                warnings.Add($"'{source}': pre-tokenizer regex {regex} is not one llama.cpp knows by name; wrote \"gpt-2\", whose split may differ on some texts.");
                return "gpt-2";
        }
    }

    static string? FirstSplitRegex(JsonNode? node) => node switch
    {
        JsonObject o when o["type"]?.GetValue<string>() == "Split" && o["pattern"]?["Regex"] is JsonValue r && r.TryGetValue<string>(out var regex) => regex,
        JsonObject o when o["pretokenizers"] is JsonArray list => list.Select(FirstSplitRegex).FirstOrDefault(r => r is not null),
        _ => null,
    };

    /// <summary>Added tokens (tokenizer.json's added_tokens, tokenizer_config's added_tokens_decoder): control when special, else user-defined.</summary>
    static void AddTokens(List<string> tokens, List<int> types, List<float>? scores, JsonObject? settings, JsonObject? tokenizerJson)
    {
        var added = new SortedDictionary<int, (string Content, bool Special)>();
        if (settings?["added_tokens_decoder"] is JsonObject decoder)
            foreach (var (idText, entry) in decoder)
                if (int.TryParse(idText, out var id) && entry?["content"] is JsonValue c && c.TryGetValue<string>(out var content))
                    added[id] = (content, entry["special"] is JsonValue s && s.TryGetValue<bool>(out var special) && special);
        if (tokenizerJson?["added_tokens"] is JsonArray list)
            foreach (var entry in list.OfType<JsonObject>())
                if (entry["id"] is JsonValue i && i.TryGetValue<int>(out var id) && entry["content"] is JsonValue c && c.TryGetValue<string>(out var content))
                    added[id] = (content, entry["special"] is JsonValue s && s.TryGetValue<bool>(out var special) && special);
        foreach (var (id, (content, special)) in added)
        {
            while (tokens.Count <= id)
            {
                tokens.Add($"[PAD{tokens.Count}]");
                types.Add(GgufVocabulary.Unused);
                scores?.Add(0);
            }
            tokens[id] = content;
            // SentencePiece's own control pieces (<s>, </s>) keep their type.
            if (types[id] is GgufVocabulary.Normal or GgufVocabulary.Unused) types[id] = special ? GgufVocabulary.Control : GgufVocabulary.UserDefined;
        }
    }

    static GgufVocabulary Padded(GgufVocabulary v, int modelVocabSize, string directory)
    {
        if (v.Tokens.Count > modelVocabSize)
            throw new TokenizerFormatException(
                $"Tokenizer of '{directory}' has {v.Tokens.Count} tokens but the model's vocab_size is {modelVocabSize}; llama.cpp needs one token per embedding row.");
        if (v.Tokens.Count == modelVocabSize) return v;
        var extra = Enumerable.Range(v.Tokens.Count, modelVocabSize - v.Tokens.Count).ToList();
        return v with
        {
            Tokens = [.. v.Tokens, .. extra.Select(i => $"[PAD{i}]")],
            TokenTypes = [.. v.TokenTypes, .. extra.Select(_ => GgufVocabulary.Unused)],
            Scores = v.Scores is null ? null : [.. v.Scores, .. extra.Select(_ => 0f)],
        };
    }

    /// <summary>tokenizer_config.json's chat_template (a string, or the "default" of a named list), else chat_template.jinja.</summary>
    static string? ChatTemplate(string directory, JsonObject? settings)
    {
        switch (settings?["chat_template"])
        {
            case JsonValue v when v.TryGetValue<string>(out var template): return template;
            case JsonArray named:
                var entries = named.OfType<JsonObject>().ToList();
                var chosen = entries.FirstOrDefault(e => e["name"]?.GetValue<string>() == "default") ?? entries.FirstOrDefault();
                return chosen?["template"]?.GetValue<string>();
        }
        var jinja = Path.Combine(directory, "chat_template.jinja");
        return File.Exists(jinja) ? File.ReadAllText(jinja) : null;
    }

    static int? SpecialId(List<string> tokens, JsonObject? settings, string field, JsonObject? modelConfig, string idField)
    {
        if (TokenString(settings, field) is { } token && Index(tokens, token) is { } id) return id;
        return modelConfig?[idField] switch
        {
            JsonValue v when v.TryGetValue<int>(out var value) => value,
            JsonArray a when a.Count > 0 && a[0] is JsonValue v && v.TryGetValue<int>(out var value) => value,
            _ => null,
        };
    }

    static int? Index(List<string> tokens, string token)
    {
        var i = tokens.IndexOf(token);
        return i >= 0 ? i : null;
    }

    static bool? Flag(JsonObject? settings, string field) => settings?[field] is JsonValue v && v.TryGetValue<bool>(out var b) ? b : null;

    static string? TokenString(JsonObject? settings, string field) => settings?[field] switch
    {
        JsonValue v when v.TryGetValue<string>(out var s) => s,
        JsonObject o when o["content"] is JsonValue c && c.TryGetValue<string>(out var s) => s,
        _ => null,
    };

    static JsonObject? ReadJson(string path)
    {
        if (!File.Exists(path)) return null;
        try
        {
            return JsonNode.Parse(File.ReadAllText(path)) as JsonObject ?? throw new TokenizerFormatException($"Tokenizer file '{path}' is not a JSON object.");
        }
        catch (System.Text.Json.JsonException e)
        {
            throw new TokenizerFormatException($"Tokenizer file '{path}' is not valid JSON: {e.Message}", e);
        }
    }
}
