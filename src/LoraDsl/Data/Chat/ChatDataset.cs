using System.Globalization;

namespace LoraDsl.Data.Chat;

/// <summary>The chat task's data: conversations read, shuffled and split like other records, encoded by <see cref="ChatEncoder"/>, with counted warnings.</summary>
internal static class ChatDataset
{
    public static PreparedDataset Build(DataOptions options, ITextTokenizer tokenizer, IChatRenderer renderer)
    {
        var endOfTurn = EndOfTurn.Find(renderer, tokenizer);
        var conversations = options.Files.SelectMany(f => ConversationReader.Read(f, options.MessagesField)).ToList();
        var (train, validation) = DatasetBuilder.ShuffleAndSplit(conversations, options);
        var encoder = new ChatEncoder(renderer, tokenizer, endOfTurn, options.TrainOn, options.MaxTokens);
        int cut = 0, turnsCut = 0, dropped = 0;
        List<TokenizedExample> Encode(List<Conversation> part)
        {
            var examples = new List<TokenizedExample>(part.Count);
            foreach (var conversation in part)
            {
                var (example, wasCut, lost) = encoder.Encode(conversation);
                if (wasCut) cut++;
                turnsCut += lost;
                if (example is null) dropped++;
                else examples.Add(example);
            }
            return examples;
        }
        var trainExamples = Encode(train);
        var validationExamples = Encode(validation);
        var total = train.Count + validation.Count;
        if (trainExamples.Count == 0)
            throw new DataFormatException(string.Join(", ", options.Files),
                $"none of the {total} conversations has a token to train with train_on={Choice(options.TrainOn)} and max_tokens={options.MaxTokens}.");
        var warnings = new List<string>();
        if (cut > 0)
            warnings.Add(string.Format(CultureInfo.InvariantCulture,
                "{0} of {1} conversations are longer than data.max_tokens={2} and were cut; {3} assistant turns lost their end-of-turn token '{4}' and are left untrained (raise data.max_tokens to keep them).",
                cut, total, options.MaxTokens, turnsCut, endOfTurn.Text));
        if (dropped > 0)
            warnings.Add(string.Format(CultureInfo.InvariantCulture,
                "{0} of {1} conversations have no token left to train (no assistant turn, or every one cut by max_tokens) and were skipped.", dropped, total));
        if (PadEndsTurns(tokenizer, endOfTurn) is { } padWarning) warnings.Add(padWarning);
        return new PreparedDataset
        {
            Task = DataTask.Chat,
            // With data.packing, several conversations per row, each attending only to itself.
            Train = options.Packing ? ExamplePacker.Pack(trainExamples, options.MaxTokens) : trainExamples,
            Validation = validationExamples,
            PadId = tokenizer.PadId,
            DroppedRecords = dropped,
            Files = options.Files,
            EndOfTurn = endOfTurn,
            Warnings = warnings,
        };
    }

    /// <summary>
    /// pad = eos = end of turn: collators that mask pad ids out of the labels (transformers' and most others) then never
    /// train the stop. This loop labels by length and keeps it, but the folder would mislead every other trainer.
    /// </summary>
    static string? PadEndsTurns(ITextTokenizer tokenizer, EndOfTurn endOfTurn) =>
        tokenizer.PadId == endOfTurn.Id
            ? $"the padding token is the end-of-turn token '{endOfTurn.Text}' (id {endOfTurn.Id}): LoraDsl still trains it (padding is masked by length), "
              + "but a trainer that masks pad ids out of the labels would teach no stop; set a distinct pad_token in tokenizer_config.json (e.g. <|endoftext|>)."
            : null;

    static string Choice(ChatTrainOn trainOn) => trainOn.ToString().ToLowerInvariant();
}
