using System.Text.Json.Nodes;

namespace LoraDsl.Data.Chat;

/// <summary>
/// One conversation of a data file, normalised to OpenAI's shape (<c>[{"role": ..., "content": ...}, ...]</c>, roles
/// system/user/assistant/tool) whatever shape the file used; <see cref="FirstTrainable"/> keeps a prompt's messages untrained.
/// </summary>
internal sealed record Conversation(JsonArray Messages, string FilePath, int Line)
{
    /// <summary>Index of the first message that may train: 0, or the first completion message of a prompt–completion record.</summary>
    public int FirstTrainable { get; init; }

    /// <summary>The record's <c>tools</c> list (function definitions the template renders), when it has one.</summary>
    public JsonArray? Tools { get; init; }

    /// <summary>The record's field the messages came from ("messages", "conversations", "prompt/completion"), for errors.</summary>
    public string Field { get; init; } = "messages";
}
