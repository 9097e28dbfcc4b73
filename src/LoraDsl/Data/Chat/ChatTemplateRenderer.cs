using System.Text.Json.Nodes;
using LoraDsl.ChatTemplates;

namespace LoraDsl.Data.Chat;

/// <summary>A <see cref="ChatTemplate"/> as the data pipeline's renderer: a template error while rendering a conversation is a refusal of that conversation.</summary>
internal sealed class ChatTemplateRenderer(ChatTemplate template) : IChatRenderer
{
    public ChatTemplate Template { get; } = template;

    public string Name => Template.Name;

    public string Render(JsonArray messages, bool addGenerationPrompt, JsonArray? tools = null)
    {
        try
        {
            return Template.Render(messages, addGenerationPrompt, tools);
        }
        catch (ChatTemplateException e)
        {
            throw new ChatTemplateRefusalException(e.Line is null ? e.TemplateMessage : $"line {e.Line}, column {e.Column}: {e.TemplateMessage}", e);
        }
    }
}
