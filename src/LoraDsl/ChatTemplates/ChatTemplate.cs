using System.Text.Json;
using System.Text.Json.Nodes;
using LoraDsl.Templating.Jinja;

namespace LoraDsl.ChatTemplates;

/// <summary>
/// A model's chat template, rendered byte for byte as transformers' apply_chat_template(tokenize=False)
/// renders it: Jinja2 with trim_blocks, lstrip_blocks and loop controls, variables messages, tools,
/// documents, add_generation_prompt, the tokenizer's special tokens and any extra variables.
/// </summary>
public sealed class ChatTemplate
{
    /// <summary>The templates <see cref="BuiltIn"/> knows, for base models that ship none.</summary>
    public static IReadOnlyDictionary<string, string> BuiltInTemplates { get; } = new Dictionary<string, string>(StringComparer.Ordinal)
    {
        // transformers' former default (ChatML), as many base-model fine-tunes use it.
        ["chatml"] = "{% for message in messages %}{{'<|im_start|>' + message['role'] + '\n' + message['content'] + '<|im_end|>' + '\n'}}{% endfor %}{% if add_generation_prompt %}{{ '<|im_start|>assistant\n' }}{% endif %}",
    };

    static readonly string[] SpecialTokenNames = ["bos_token", "eos_token", "unk_token", "sep_token", "pad_token", "cls_token", "mask_token", "additional_special_tokens"];
    static readonly HashSet<string> ReservedVariables = ["messages", "tools", "documents", "add_generation_prompt"];

    readonly JinjaTemplate template;

    ChatTemplate(string name, string source, IReadOnlyDictionary<string, JsonNode?> specialTokens)
    {
        Name = name;
        Source = source;
        SpecialTokens = specialTokens;
        try
        {
            template = JinjaTemplate.Parse(source);
        }
        catch (JinjaException e)
        {
            throw new ChatTemplateException(name, e.Message, e.Line, e.Column, e);
        }
    }

    /// <summary>Where the template came from: a file (and the template's name in it), or "built-in NAME".</summary>
    public string Name { get; }

    /// <summary>The template text.</summary>
    public string Source { get; }

    /// <summary>The special tokens passed to the template (bos_token, eos_token... as strings; additional_special_tokens as a list).</summary>
    public IReadOnlyDictionary<string, JsonNode?> SpecialTokens { get; }

    /// <summary>
    /// The template of a model folder, where transformers finds it: chat_template.jinja (which wins, as in
    /// transformers), else tokenizer_config.json's "chat_template" (a string, or a list of {name, template}:
    /// "default" unless <paramref name="name"/> picks another), else chat_template.json. Special tokens come
    /// from tokenizer_config.json (and special_tokens_map.json where the config lacks one).
    /// </summary>
    public static ChatTemplate FromModelFolder(string modelDirectory, string? name = null)
    {
        if (!Directory.Exists(modelDirectory)) throw new ChatTemplateException(modelDirectory, "the model folder does not exist");
        var configPath = Path.Combine(modelDirectory, "tokenizer_config.json");
        var config = File.Exists(configPath) ? ReadJsonObject(configPath) : null;
        var specialTokens = ReadSpecialTokens(config, Path.Combine(modelDirectory, "special_tokens_map.json"));

        var named = new Dictionary<string, (string Source, string Origin)>(StringComparer.Ordinal);
        var jinjaPath = Path.Combine(modelDirectory, "chat_template.jinja");
        var additional = Path.Combine(modelDirectory, "additional_chat_templates");
        if (Directory.Exists(additional))
            foreach (var file in Directory.GetFiles(additional, "*.jinja"))
                named[Path.GetFileNameWithoutExtension(file)] = (File.ReadAllText(file), file);
        if (File.Exists(jinjaPath)) named["default"] = (File.ReadAllText(jinjaPath), jinjaPath);
        else if (config?["chat_template"] is { } fromConfig) AddConfigTemplates(fromConfig, configPath, named);
        else if (File.Exists(Path.Combine(modelDirectory, "chat_template.json")))
        {
            var processorPath = Path.Combine(modelDirectory, "chat_template.json");
            if (ReadJsonObject(processorPath)["chat_template"] is { } fromProcessor) AddConfigTemplates(fromProcessor, processorPath, named);
        }

        if (named.Count == 0)
            throw new ChatTemplateException(modelDirectory,
                "the model folder has no chat template (no chat_template.jinja, no \"chat_template\" in tokenizer_config.json); " +
                $"choose one: a built-in ({string.Join(", ", BuiltInTemplates.Keys)}) or a .jinja file");
        var key = name ?? "default";
        if (!named.TryGetValue(key, out var chosen))
            throw new ChatTemplateException(modelDirectory, $"no chat template named '{key}'; the folder has: {string.Join(", ", named.Keys.Order(StringComparer.Ordinal))}");
        var origin = chosen.Origin + (key == "default" || chosen.Origin.EndsWith(".jinja", StringComparison.Ordinal) ? "" : $" (template '{key}')");
        return new ChatTemplate(origin, chosen.Source, specialTokens);
    }

    /// <summary>A template file (.jinja text; a .json file is read like tokenizer_config.json's "chat_template").</summary>
    public static ChatTemplate FromFile(string path)
    {
        if (!File.Exists(path)) throw new ChatTemplateException(path, "the template file does not exist");
        if (path.EndsWith(".json", StringComparison.OrdinalIgnoreCase))
        {
            var json = ReadJsonObject(path);
            var named = new Dictionary<string, (string Source, string Origin)>(StringComparer.Ordinal);
            if (json["chat_template"] is { } t) AddConfigTemplates(t, path, named);
            if (!named.TryGetValue("default", out var chosen)) throw new ChatTemplateException(path, "the JSON file has no \"chat_template\"");
            return new ChatTemplate(path, chosen.Source, ReadSpecialTokens(json, null));
        }
        return new ChatTemplate(path, File.ReadAllText(path), new Dictionary<string, JsonNode?>());
    }

    /// <summary>A template this library ships ("chatml").</summary>
    public static ChatTemplate BuiltIn(string name) =>
        BuiltInTemplates.TryGetValue(name, out var source)
            ? new ChatTemplate($"built-in {name}", source, new Dictionary<string, JsonNode?>())
            : throw new ChatTemplateException($"built-in {name}", $"there is no built-in chat template '{name}'; known: {string.Join(", ", BuiltInTemplates.Keys)}");

    /// <summary>
    /// The template a user chose, as `template --template` and the recipe setting data.chat_template read it:
    /// null means the model folder's own; an existing file is read with <see cref="FromFile"/>; otherwise a
    /// template name in the model folder, then a built-in name. The model folder's special tokens are
    /// passed to whichever template is chosen.
    /// </summary>
    public static ChatTemplate Resolve(string? modelDirectory, string? choice)
    {
        if (choice is null)
            return modelDirectory is not null ? FromModelFolder(modelDirectory) : throw new ArgumentException("Give a model folder or a template (a .jinja file or a built-in name).");
        var tokens = modelDirectory is not null ? SpecialTokensOf(modelDirectory) : new Dictionary<string, JsonNode?>();
        if (File.Exists(choice)) return FromFile(choice).WithSpecialTokens(tokens);
        if (modelDirectory is not null && !BuiltInTemplates.ContainsKey(choice)) return FromModelFolder(modelDirectory, choice);
        if (BuiltInTemplates.ContainsKey(choice)) return BuiltIn(choice).WithSpecialTokens(tokens);
        throw new ChatTemplateException(choice, $"no such template file, and no built-in chat template of that name (known: {string.Join(", ", BuiltInTemplates.Keys)})");
    }

    /// <summary>The special tokens transformers would pass for the model folder's tokenizer.</summary>
    internal static Dictionary<string, JsonNode?> SpecialTokensOf(string modelDirectory)
    {
        var configPath = Path.Combine(modelDirectory, "tokenizer_config.json");
        return ReadSpecialTokens(File.Exists(configPath) ? ReadJsonObject(configPath) : null, Path.Combine(modelDirectory, "special_tokens_map.json"));
    }

    internal ChatTemplate WithSpecialTokens(IReadOnlyDictionary<string, JsonNode?> tokens) =>
        tokens.Count == 0 ? this : new ChatTemplate(Name, Source, tokens);

    /// <summary>
    /// Renders the conversation. <paramref name="variables"/> adds or overrides template variables
    /// (enable_thinking, date_string, a special token...); messages, tools, documents and
    /// add_generation_prompt are set by the arguments.
    /// </summary>
    public string Render(JsonArray messages, bool addGenerationPrompt, JsonArray? tools = null, IReadOnlyDictionary<string, JsonNode?>? variables = null)
    {
        var values = new Dictionary<string, object?>(StringComparer.Ordinal);
        foreach (var (key, value) in SpecialTokens) values[key] = JinjaTemplate.FromJson(value);
        foreach (var (key, value) in variables ?? new Dictionary<string, JsonNode?>())
        {
            if (ReservedVariables.Contains(key)) throw new ArgumentException($"'{key}' is set by Render's arguments, not by a variable.", nameof(variables));
            values[key] = JinjaTemplate.FromJson(value);
        }
        values["messages"] = JinjaTemplate.FromJson(messages);
        values["tools"] = tools is null ? null : JinjaTemplate.FromJson(tools);
        values["documents"] = null;
        values["add_generation_prompt"] = addGenerationPrompt;
        try
        {
            return template.Render(values);
        }
        catch (JinjaException e)
        {
            throw new ChatTemplateException(Name, e.Message, e.Line, e.Column, e);
        }
    }

    static JsonObject ReadJsonObject(string path)
    {
        try
        {
            return JsonNode.Parse(File.ReadAllText(path)) as JsonObject ?? throw new ChatTemplateException(path, "expected a JSON object");
        }
        catch (JsonException e)
        {
            throw new ChatTemplateException(path, $"not valid JSON: {e.Message}", (int?)e.LineNumber + 1, (int?)e.BytePositionInLine + 1, e);
        }
    }

    static void AddConfigTemplates(JsonNode node, string origin, Dictionary<string, (string, string)> named)
    {
        switch (node)
        {
            case JsonValue v when v.GetValueKind() == JsonValueKind.String:
                named.TryAdd("default", (v.GetValue<string>(), origin));
                break;
            case JsonArray list:
                foreach (var item in list)
                {
                    if (item?["name"]?.GetValue<string>() is not { } templateName || item["template"]?.GetValue<string>() is not { } text)
                        throw new ChatTemplateException(origin, "\"chat_template\" list entries must be {\"name\": ..., \"template\": ...}");
                    named.TryAdd(templateName, (text, origin));
                }
                break;
            default:
                throw new ChatTemplateException(origin, "\"chat_template\" must be a string or a list of {name, template}");
        }
    }

    // transformers passes special_tokens_map: each special token as its string (an AddedToken's "content").
    static Dictionary<string, JsonNode?> ReadSpecialTokens(JsonObject? config, string? specialTokensMapPath)
    {
        var tokens = new Dictionary<string, JsonNode?>(StringComparer.Ordinal);
        var map = specialTokensMapPath is not null && File.Exists(specialTokensMapPath) ? ReadJsonObject(specialTokensMapPath) : null;
        foreach (var name in SpecialTokenNames)
        {
            var node = config?[name] ?? map?[name];
            if (node is null) continue;
            if (node is JsonArray list)
                tokens[name] = new JsonArray([.. list.Select(t => (JsonNode?)JsonValue.Create(TokenText(t)))]);
            else if (TokenText(node) is { } text) tokens[name] = JsonValue.Create(text);
        }
        return tokens;
    }

    static string? TokenText(JsonNode? node) => node switch
    {
        JsonValue v when v.GetValueKind() == JsonValueKind.String => v.GetValue<string>(),
        JsonObject o => o["content"]?.GetValue<string>(),
        _ => null,
    };
}
