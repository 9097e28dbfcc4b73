using System.Text.Json.Nodes;

namespace LoraDsl.Data.Chat;

/// <summary>
/// Renders a conversation through the chat template and labels its tokens as TRL and axolotl do: the text an assistant
/// turn adds is found by rendering the prefix before it (with the generation prompt) and the prefix through it; that
/// span, up to and including the end-of-turn token, trains; everything else gets -100. Truncation to max_tokens never
/// leaves a trained turn without its end of turn: a cut turn is left untrained and counted.
/// </summary>
internal sealed class ChatEncoder
{
    readonly IChatRenderer renderer;
    readonly ITextTokenizer tokenizer;
    readonly ChatTrainOn trainOn;
    readonly int maxTokens;

    public ChatEncoder(IChatRenderer renderer, ITextTokenizer tokenizer, EndOfTurn endOfTurn, ChatTrainOn trainOn, int maxTokens)
    {
        this.renderer = renderer;
        this.tokenizer = tokenizer;
        EndOfTurn = endOfTurn;
        this.trainOn = trainOn;
        this.maxTokens = maxTokens;
    }

    public EndOfTurn EndOfTurn { get; }

    /// <summary>The example (null when nothing is left to train), whether max_tokens cut it, and how many turns the cut left untrained.</summary>
    public (TokenizedExample? Example, bool Cut, int TurnsCut) Encode(Conversation conversation)
    {
        var full = Render(conversation, conversation.Messages, false);
        var spans = TrainedSpans(conversation, full);
        var (ids, trainedTurn) = Tokenize(full, spans);
        var cut = ids.Count > maxTokens;
        var turnsCut = 0;
        if (cut)
        {
            // A turn whose end-of-turn token falls beyond the cut would teach the model to run on: leave it untrained.
            for (var turn = 0; turn < spans.Count; turn++)
            {
                var last = trainedTurn.LastIndexOf(turn);
                var first = trainedTurn.IndexOf(turn);
                if (first >= 0 && first < maxTokens && last >= maxTokens)
                {
                    turnsCut++;
                    for (var i = first; i < maxTokens; i++) trainedTurn[i] = -1;
                }
            }
            ids.RemoveRange(maxTokens, ids.Count - maxTokens);
            trainedTurn.RemoveRange(maxTokens, trainedTurn.Count - maxTokens);
        }
        var labels = new int[ids.Count];
        var any = false;
        for (var i = 0; i < labels.Length; i++)
        {
            labels[i] = trainedTurn[i] >= 0 ? ids[i] : TokenizedExample.IgnoreIndex;
            // The shifted loss never trains position 0.
            any |= i > 0 && trainedTurn[i] >= 0;
        }
        return (any ? new TokenizedExample([.. ids], labels) : null, cut, turnsCut);
    }

    /// <summary>Character spans [start, end) of <paramref name="full"/> that train, one per trained turn.</summary>
    List<(int Start, int End)> TrainedSpans(Conversation conversation, string full)
    {
        var messages = conversation.Messages;
        if (trainOn == ChatTrainOn.All) return [(0, full.Length)];
        var turns = new List<int>();
        for (var i = conversation.FirstTrainable; i < messages.Count; i++)
            if (messages[i]?["role"]?.GetValue<string>() == ChatRoles.Assistant) turns.Add(i);
        if (trainOn == ChatTrainOn.Last && turns.Count > 1) turns.RemoveRange(0, turns.Count - 1);
        var spans = new List<(int, int)>(turns.Count);
        foreach (var i in turns)
        {
            var prompt = Render(conversation, Slice(messages, i), true);
            var through = Render(conversation, Slice(messages, i + 1), false);
            if (!through.StartsWith(prompt, StringComparison.Ordinal))
                throw Refused(conversation, i, $"rendering the messages before it with the generation prompt gives text that the rendering through it does not start with");
            var eot = through.IndexOf(EndOfTurn.Text, prompt.Length, StringComparison.Ordinal);
            var end = eot >= 0 ? eot + EndOfTurn.Text.Length : prompt.Length + through[prompt.Length..].TrimEnd().Length;
            if (string.CompareOrdinal(full, 0, through, 0, end) != 0 || full.Length < end)
                throw Refused(conversation, i, "the template renders this turn differently once later turns follow (the text through it is no prefix of the whole conversation)");
            spans.Add((prompt.Length, end));
        }
        return spans;
    }

    /// <summary>Token ids of <paramref name="full"/> segment by segment, with the index of the trained span each token is in (-1 = none).</summary>
    (List<int> Ids, List<int> Turn) Tokenize(string full, List<(int Start, int End)> spans)
    {
        var ids = new List<int>();
        var turn = new List<int>();
        void Add(int start, int end, int span)
        {
            if (end <= start) return;
            var piece = tokenizer.Encode(full[start..end]);
            ids.AddRange(piece);
            turn.AddRange(Enumerable.Repeat(span, piece.Count));
        }
        var at = 0;
        for (var s = 0; s < spans.Count; s++)
        {
            Add(at, spans[s].Start, -1);
            Add(spans[s].Start, spans[s].End, s);
            at = spans[s].End;
        }
        Add(at, full.Length, -1);
        return (ids, turn);
    }

    string Render(Conversation conversation, JsonArray messages, bool addGenerationPrompt)
    {
        try
        {
            return renderer.Render(messages, addGenerationPrompt, conversation.Tools);
        }
        catch (ChatTemplateRefusalException e)
        {
            throw new DataFormatException(conversation.FilePath, conversation.Line, $"field '{conversation.Field}': chat template '{renderer.Name}' refuses this conversation: {e.Message}");
        }
    }

    DataFormatException Refused(Conversation conversation, int message, string why) =>
        new(conversation.FilePath, conversation.Line, $"field '{conversation.Field}[{message}]': chat template '{renderer.Name}': {why}, so its tokens cannot be found.");

    static JsonArray Slice(JsonArray messages, int count)
    {
        var slice = new JsonArray();
        for (var i = 0; i < count; i++) slice.Add(messages[i]?.DeepClone());
        return slice;
    }
}
