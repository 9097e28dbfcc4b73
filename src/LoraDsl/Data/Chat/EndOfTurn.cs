using System.Text.Json.Nodes;

namespace LoraDsl.Data.Chat;

/// <summary>
/// The text a chat template writes after an assistant's answer (<c>&lt;|im_end|&gt;</c>, <c>&lt;|eot_id|&gt;</c>,
/// <c>&lt;end_of_turn&gt;</c>) and its one token id: what the model must learn to emit and what generation stops on.
/// </summary>
internal sealed record EndOfTurn(string Text, int Id)
{
    const string ProbeAnswer = "Probe answer 7";

    /// <summary>Renders a one-question probe and reads what follows the answer; it must be one vocabulary token.</summary>
    /// <exception cref="EndOfTurnException">The template writes nothing after an answer, or the tokenizer splits what it writes.</exception>
    public static EndOfTurn Find(IChatRenderer renderer, ITextTokenizer tokenizer)
    {
        var question = new JsonArray(new JsonObject { ["role"] = ChatRoles.User, ["content"] = "Probe question" });
        var answered = new JsonArray(
            new JsonObject { ["role"] = ChatRoles.User, ["content"] = "Probe question" },
            new JsonObject { ["role"] = ChatRoles.Assistant, ["content"] = ProbeAnswer });
        string prompt, full;
        try
        {
            prompt = renderer.Render(question, addGenerationPrompt: true);
            full = renderer.Render(answered, addGenerationPrompt: false);
        }
        catch (ChatTemplateRefusalException e)
        {
            throw new EndOfTurnException($"Chat template '{renderer.Name}' refuses a plain user/assistant exchange, so its end of turn cannot be found: {e.Message}");
        }
        var answerAt = full.IndexOf(ProbeAnswer, Math.Min(prompt.Length, full.Length), StringComparison.Ordinal);
        if (!full.StartsWith(prompt, StringComparison.Ordinal) || answerAt < 0)
            throw new EndOfTurnException($"Chat template '{renderer.Name}' does not render a conversation as its generation prompt followed by the answer; assistant tokens cannot be found by rendering prefixes.");
        // Phi-3 writes "<|end|>\n" and then eos_token at the very end: the turn's end is the first piece.
        var text = full[(answerAt + ProbeAnswer.Length)..].Split((char[]?)null, 2, StringSplitOptions.RemoveEmptyEntries).FirstOrDefault() ?? "";
        if (text.Length == 0)
            throw new EndOfTurnException($"Chat template '{renderer.Name}' writes nothing after an assistant's answer: the model would learn no end of turn and never stop. Use a template that closes assistant turns (with <|im_end|>, <|eot_id|>, eos_token, ...).");
        var ids = tokenizer.Encode(text);
        if (ids.Count != 1)
            throw new EndOfTurnException($"Chat template '{renderer.Name}' ends an assistant turn with '{text}', which the tokenizer splits into {ids.Count} tokens [{string.Join(", ", ids)}]: "
                + "it must be one token of the vocabulary (an added special token in tokenizer_config.json) for the model to learn to emit it and for generation to stop on it.");
        return new EndOfTurn(text, ids[0]);
    }
}
