using LoraDsl.Tokenization;

namespace LoraDsl.Data.Chat;

/// <summary>The chat template a run renders with: data.chat_template when set, else the model folder's own.</summary>
internal static class ChatRendererResolver
{
    public static IChatRenderer For(DataOptions options, ITextTokenizer tokenizer) =>
        For(options.ChatTemplate, (tokenizer as TextTokenizer)?.SourceDirectory);

    /// <summary><paramref name="template"/>: null/empty = the folder's default; a .jinja path; a built-in name; a named template of the folder.</summary>
    public static IChatRenderer For(string? template, string? modelDirectory) =>
        throw new NotSupportedException($"Chat templates need the Jinja renderer (data.chat_template '{template}', model '{modelDirectory}').");
}
