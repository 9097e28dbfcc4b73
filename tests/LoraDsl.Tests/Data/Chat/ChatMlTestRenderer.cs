using System.Text;
using System.Text.Json.Nodes;
using LoraDsl.Data.Chat;

namespace LoraDsl.Tests.Data.Chat;

/// <summary>ChatML written out by hand (Qwen's format), refusing two user turns in a row as Gemma's template does.</summary>
public sealed class ChatMlTestRenderer : IChatRenderer
{
    public string Name => "test-chatml";

    public string Render(JsonArray messages, bool addGenerationPrompt, JsonArray? tools = null)
    {
        var text = new StringBuilder();
        string? previous = null;
        foreach (var message in messages)
        {
            var role = message!["role"]!.GetValue<string>();
            if (role == "user" && previous == "user") throw new ChatTemplateRefusalException("Conversation roles must alternate user/assistant/user/assistant/...");
            var content = message["content"] is JsonValue v ? v.GetValue<string>() : "";
            text.Append("<|im_start|>").Append(role).Append('\n').Append(content).Append("<|im_end|>\n");
            previous = role;
        }
        if (addGenerationPrompt) text.Append("<|im_start|>assistant\n");
        return text.ToString();
    }
}
