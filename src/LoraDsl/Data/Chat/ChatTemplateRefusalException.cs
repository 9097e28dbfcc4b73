namespace LoraDsl.Data.Chat;

/// <summary>A chat template refused to render a conversation; the message is the template's own.</summary>
public sealed class ChatTemplateRefusalException : Exception
{
    public ChatTemplateRefusalException(string message, Exception? inner = null) : base(message, inner) { }
}
