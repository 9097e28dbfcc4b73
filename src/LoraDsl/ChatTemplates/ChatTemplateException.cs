namespace LoraDsl.ChatTemplates;

/// <summary>
/// A chat template that cannot be read, parsed or rendered. Names the template (its file, or "built-in
/// chatml"), and the line and column in it; a template's own raise_exception message is kept verbatim.
/// </summary>
public sealed class ChatTemplateException : Exception
{
    public ChatTemplateException(string templateName, string message, int? line = null, int? column = null, Exception? inner = null)
        : base(line is null ? $"chat template {templateName}: {message}" : $"chat template {templateName}, line {line}, column {column}: {message}", inner)
    {
        TemplateName = templateName;
        TemplateMessage = message;
        Line = line;
        Column = column;
    }

    public string TemplateName { get; }

    /// <summary>The message without the location: for raise_exception, exactly the template's words.</summary>
    public string TemplateMessage { get; }

    public int? Line { get; }

    public int? Column { get; }
}
