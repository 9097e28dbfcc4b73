using System.Text.Json;
using System.Text.Json.Nodes;

namespace LoraDsl.Data.Chat;

/// <summary>
/// Turns one JSON record into a <see cref="Conversation"/>: OpenAI <c>messages</c>, ShareGPT <c>conversations</c>
/// (<c>from</c>/<c>value</c>) or <c>prompt</c>/<c>completion</c> (strings or message lists). A bad record is one
/// <see cref="DataFormatException"/> naming file, line and field.
/// </summary>
internal static class ConversationRecord
{
    public const string ShareGptField = "conversations";
    public const string PromptField = "prompt";
    public const string CompletionField = "completion";

    public static Conversation Normalize(JsonObject record, string path, int line, string messagesField)
    {
        DataFormatException Bad(string problem) => new(path, line, problem);
        var tools = Tools(record, path, line);
        if (record[messagesField] is { } messages)
            return new Conversation(OpenAiMessages(messages, messagesField, path, line), path, line) { Tools = tools, Field = messagesField };
        if (record[ShareGptField] is { } turns)
        {
            var normalized = ShareGptMessages(turns, path, line);
            // LLaMA-Factory's ShareGPT keeps the system prompt in its own field.
            if (record["system"] is JsonValue system && system.TryGetValue<string>(out var text) && text.Length > 0 && !HasSystem(normalized))
                normalized.Insert(0, Message(ChatRoles.System, text));
            return new Conversation(normalized, path, line) { Tools = tools, Field = ShareGptField };
        }
        if (record[PromptField] is { } prompt && record[CompletionField] is { } completion)
        {
            var promptMessages = Part(prompt, PromptField, ChatRoles.User, path, line);
            var completionMessages = Part(completion, CompletionField, ChatRoles.Assistant, path, line);
            if (completionMessages.Count == 0 || completion is JsonValue { } c && c.TryGetValue<string>(out var t) && t.Length == 0)
                throw Bad($"field '{CompletionField}' is empty.");
            var all = new JsonArray([.. promptMessages.Concat(completionMessages).Select(m => m!.DeepClone())]);
            return new Conversation(all, path, line) { FirstTrainable = promptMessages.Count, Tools = tools, Field = $"{PromptField}/{CompletionField}" };
        }
        throw Bad($"no conversation: expected field '{messagesField}' (OpenAI messages), '{ShareGptField}' (ShareGPT) or '{PromptField}' + '{CompletionField}'"
            + $" (fields present: {string.Join(", ", record.Select(p => p.Key))}).");
    }

    static JsonArray Part(JsonNode node, string field, string role, string path, int line) => node switch
    {
        JsonValue v when v.TryGetValue<string>(out var text) => [Message(role, text)],
        JsonArray => OpenAiMessages(node, field, path, line, allowEmpty: field == PromptField),
        _ => throw new DataFormatException(path, line, $"field '{field}' must be a string or a list of messages, found {node.GetValueKind()}."),
    };

    static JsonArray OpenAiMessages(JsonNode node, string field, string path, int line, bool allowEmpty = false)
    {
        if (node is not JsonArray list) throw new DataFormatException(path, line, $"field '{field}' must be a list of messages, found {node.GetValueKind()}.");
        if (list.Count == 0 && !allowEmpty) throw new DataFormatException(path, line, $"field '{field}' is an empty conversation.");
        var result = new JsonArray();
        for (var i = 0; i < list.Count; i++)
        {
            var at = $"{field}[{i}]";
            if (list[i] is not JsonObject message) throw new DataFormatException(path, line, $"field '{at}' must be a message object, found {list[i]?.GetValueKind().ToString() ?? "null"}.");
            var roleText = message["role"] is JsonValue r && r.TryGetValue<string>(out var s) ? s
                : throw new DataFormatException(path, line, $"field '{at}.role' is missing or not a string.");
            var role = ChatRoles.FromOpenAi(roleText)
                ?? throw new DataFormatException(path, line, $"field '{at}.role': unknown role '{roleText}' (known: {ChatRoles.OpenAiNames}).");
            var copy = (JsonObject)message.DeepClone();
            copy["role"] = role;
            var hasCalls = message["tool_calls"] is JsonArray { Count: > 0 };
            if (!message.ContainsKey("content") && !hasCalls)
                throw new DataFormatException(path, line, $"field '{at}.content' is missing.");
            if (message["content"] is { } content && content is not JsonArray && !(content is JsonValue cv && cv.TryGetValue<string>(out _)))
                throw new DataFormatException(path, line, $"field '{at}.content' must be a string or a list of content parts, found {content.GetValueKind()}.");
            if (message["content"] is null && !hasCalls)
                throw new DataFormatException(path, line, $"field '{at}.content' is null and the message has no tool_calls.");
            result.Add(copy);
        }
        return result;
    }

    static JsonArray ShareGptMessages(JsonNode node, string path, int line)
    {
        if (node is not JsonArray list) throw new DataFormatException(path, line, $"field '{ShareGptField}' must be a list of turns, found {node.GetValueKind()}.");
        if (list.Count == 0) throw new DataFormatException(path, line, $"field '{ShareGptField}' is an empty conversation.");
        var result = new JsonArray();
        for (var i = 0; i < list.Count; i++)
        {
            var at = $"{ShareGptField}[{i}]";
            if (list[i] is not JsonObject turn) throw new DataFormatException(path, line, $"field '{at}' must be a turn object, found {list[i]?.GetValueKind().ToString() ?? "null"}.");
            var (roleKey, valueKey) = turn.ContainsKey("from") ? ("from", "value") : ("role", "content");
            var roleText = turn[roleKey] is JsonValue r && r.TryGetValue<string>(out var s) ? s
                : throw new DataFormatException(path, line, $"field '{at}.from' is missing or not a string.");
            var role = ChatRoles.FromShareGpt(roleText)
                ?? throw new DataFormatException(path, line, $"field '{at}.{roleKey}': unknown role '{roleText}' (known: {ChatRoles.ShareGptNames}).");
            var value = turn[valueKey] is JsonValue v && v.TryGetValue<string>(out var t) ? t
                : throw new DataFormatException(path, line, $"field '{at}.{valueKey}' is missing or not a string.");
            result.Add(roleText.Equals("function_call", StringComparison.OrdinalIgnoreCase) && ToolCall(value) is { } call
                ? new JsonObject { ["role"] = ChatRoles.Assistant, ["content"] = null, ["tool_calls"] = new JsonArray(call) }
                : Message(role, value));
        }
        return result;
    }

    // LLaMA-Factory writes a call as {"name": ..., "arguments": {...}}; OpenAI nests it under "function".
    static JsonObject? ToolCall(string value)
    {
        try
        {
            return JsonNode.Parse(value) is JsonObject call && call["name"] is JsonValue
                ? new JsonObject { ["type"] = "function", ["function"] = call }
                : null;
        }
        catch (JsonException)
        {
            return null;
        }
    }

    static JsonArray? Tools(JsonObject record, string path, int line) => record["tools"] switch
    {
        null => null,
        JsonArray list => (JsonArray)list.DeepClone(),
        // LLaMA-Factory stores the tool list as a JSON string.
        JsonValue v when v.TryGetValue<string>(out var text) => ParseTools(text, path, line),
        var other => throw new DataFormatException(path, line, $"field 'tools' must be a list of tools, found {other.GetValueKind()}."),
    };

    static JsonArray? ParseTools(string text, string path, int line)
    {
        if (string.IsNullOrWhiteSpace(text)) return null;
        try
        {
            return JsonNode.Parse(text) as JsonArray ?? throw new DataFormatException(path, line, "field 'tools' holds JSON that is not a list.");
        }
        catch (JsonException e)
        {
            throw new DataFormatException(path, line, $"field 'tools' is not valid JSON: {e.Message}");
        }
    }

    static bool HasSystem(JsonArray messages) => messages.Count > 0 && messages[0]?["role"]?.GetValue<string>() == ChatRoles.System;

    static JsonObject Message(string role, string content) => new() { ["role"] = role, ["content"] = content };
}
