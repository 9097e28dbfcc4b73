using System.Text.Json.Nodes;

namespace LoraDsl.Data.Chat;

/// <summary>Renders messages to the text a model was trained on (a chat template); masks and the chat command need nothing more.</summary>
public interface IChatRenderer
{
    /// <summary>A name for messages: the template file or built-in name.</summary>
    string Name { get; }

    /// <summary>The rendered text; <paramref name="addGenerationPrompt"/> appends the opening of an assistant turn.</summary>
    /// <exception cref="ChatTemplateRefusalException">The template refuses the messages (raise_exception, a role order it does not take).</exception>
    string Render(JsonArray messages, bool addGenerationPrompt, JsonArray? tools = null);
}
