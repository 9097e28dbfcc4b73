using LoraDsl.ChatTemplates;
using LoraDsl.Tokenization;

namespace LoraDsl.Data.Chat;

/// <summary>The chat template a run renders with: data.chat_template when set, else the model folder's own.</summary>
internal static class ChatRendererResolver
{
    public static IChatRenderer For(DataOptions options, ITextTokenizer tokenizer) =>
        For(options.ChatTemplate, (tokenizer as TextTokenizer)?.SourceDirectory);

    /// <summary>
    /// <paramref name="template"/>: null or empty = the folder's default; a .jinja/.json path or an existing file; a
    /// built-in name (chatml); else a named template of the model folder (tokenizer_config.json's list).
    /// </summary>
    public static IChatRenderer For(string? template, string? modelDirectory)
    {
        if (string.IsNullOrEmpty(template))
            return new ChatTemplateRenderer(ChatTemplate.FromModelFolder(modelDirectory
                ?? throw new ArgumentException("The tokenizer was not loaded from a model folder, so it has no chat template: set data.chat_template (chatml or a .jinja file).")));
        if (template.EndsWith(".jinja", StringComparison.OrdinalIgnoreCase) || template.EndsWith(".json", StringComparison.OrdinalIgnoreCase) || File.Exists(template))
            return new ChatTemplateRenderer(ChatTemplate.FromFile(template));
        if (ChatTemplate.BuiltInTemplates.ContainsKey(template) || modelDirectory is null)
            return new ChatTemplateRenderer(ChatTemplate.BuiltIn(template));
        return new ChatTemplateRenderer(ChatTemplate.FromModelFolder(modelDirectory, template));
    }
}
