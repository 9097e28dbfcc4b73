using System.Text.Json.Nodes;
using LoraDsl.Data.Chat;
using LoraDsl.Generation;
using LoraDsl.Tokenization;

namespace LoraDsl.Cli.Commands;

/// <summary>The messages so far; each user message is rendered with the generation prompt and answered token by token.</summary>
sealed class ChatConversation(TextGenerator generator, TextTokenizer tokenizer, IChatRenderer renderer, GenerationOptions options, string? system)
{
    readonly JsonArray messages = system is { Length: > 0 } ? [new JsonObject { ["role"] = "system", ["content"] = system }] : [];

    /// <summary>Appends <paramref name="user"/>, streams the answer's text to <paramref name="write"/> and keeps it for the next turn.</summary>
    public string Answer(string user, Action<string> write)
    {
        messages.Add(new JsonObject { ["role"] = "user", ["content"] = user });
        var prompt = renderer.Render(messages, addGenerationPrompt: true);
        // apply_chat_template(tokenize=True) adds no special tokens: the template writes its own.
        var ids = tokenizer.Encode(prompt, addSpecialTokens: false).Select(i => (long)i).ToList();
        var produced = new List<int>();
        var shown = 0;
        generator.Generate(ids, options, token =>
        {
            produced.Add((int)token);
            var text = tokenizer.Decode(produced);
            // A byte-level token can end inside a UTF-8 character: wait for the rest before showing it.
            if (text.EndsWith('\uFFFD') || text.Length <= shown) return;
            write(text[shown..]);
            shown = text.Length;
        });
        var answer = tokenizer.Decode(produced);
        if (answer.Length > shown) write(answer[shown..]);
        messages.Add(new JsonObject { ["role"] = "assistant", ["content"] = answer });
        return answer;
    }
}
