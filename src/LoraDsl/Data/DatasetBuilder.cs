namespace LoraDsl.Data;

/// <summary>Reads, shuffles (seeded), limits, splits and tokenizes the data described by <see cref="DataOptions"/>.</summary>
public static class DatasetBuilder
{
    /// <summary>PRNG stream used for the record shuffle before the split (epochs use their own streams).</summary>
    const long SplitStream = -1;

    public static PreparedDataset Build(DataOptions options, ITextTokenizer tokenizer)
    {
        if (options.Files.Count == 0) throw new ArgumentException("DataOptions.Files is empty: name at least one data file.");
        if (options.MaxTokens <= 0) throw new ArgumentException($"MaxTokens must be positive, got {options.MaxTokens}.");
        if (!(options.ValidationFraction >= 0 && options.ValidationFraction < 1))
            throw new ArgumentException($"ValidationFraction must be in [0, 1), got {options.ValidationFraction}.");

        var records = options.Files.SelectMany(f => DataFileReader.Read(f, options.Format)).ToList();
        SplitMix64.For(options.Seed, SplitStream).Shuffle(records);
        if (options.MaxRecords is { } max && records.Count > max) records.RemoveRange(max, records.Count - max);
        if (records.Count == 0) throw new DataFormatException(string.Join(", ", options.Files), "the data files hold no records.");

        var validationCount = (int)Math.Round(records.Count * options.ValidationFraction, MidpointRounding.AwayFromZero);
        if (validationCount >= records.Count) validationCount = records.Count - 1;
        var train = records.GetRange(0, records.Count - validationCount);
        var validation = records.GetRange(records.Count - validationCount, validationCount);

        return options.Task switch
        {
            DataTask.Classification => Classification(options, tokenizer, records, train, validation),
            DataTask.CausalLanguageModeling => new PreparedDataset
            {
                Task = options.Task,
                Train = CausalLanguageModelPacker.Pack(train, tokenizer, options),
                Validation = CausalLanguageModelPacker.Pack(validation, tokenizer, options),
                PadId = tokenizer.PadId,
                Files = options.Files,
            },
            DataTask.InstructionTuning => Instructions(options, tokenizer, train, validation),
            _ => throw new ArgumentOutOfRangeException(nameof(options), options.Task, "Unknown data task."),
        };
    }

    static PreparedDataset Classification(DataOptions options, ITextTokenizer tokenizer, List<DataRecord> all, List<DataRecord> train, List<DataRecord> validation)
    {
        var labels = ClassificationEncoder.ResolveLabels(all, options);
        List<TokenizedExample> trainExamples = [.. train.Select(r => ClassificationEncoder.Encode(r, tokenizer, options, labels))];
        List<TokenizedExample> validationExamples = [.. validation.Select(r => ClassificationEncoder.Encode(r, tokenizer, options, labels))];
        return new PreparedDataset
        {
            Task = options.Task,
            Labels = labels,
            Train = trainExamples,
            Validation = validationExamples,
            PadId = tokenizer.PadId,
            Files = options.Files,
            Warnings = LabelCensus.Warning(labels, trainExamples.Concat(validationExamples), options.Files) is { } typo ? [typo] : [],
        };
    }

    static PreparedDataset Instructions(DataOptions options, ITextTokenizer tokenizer, List<DataRecord> train, List<DataRecord> validation)
    {
        var dropped = 0;
        List<TokenizedExample> Encode(List<DataRecord> records)
        {
            var examples = new List<TokenizedExample>(records.Count);
            foreach (var record in records)
            {
                if (InstructionEncoder.Encode(record, tokenizer, options) is { } example) examples.Add(example);
                else dropped++;
            }
            return examples;
        }
        var trainExamples = Encode(train);
        var validationExamples = Encode(validation);
        if (options.Packing) trainExamples = [.. ExamplePacker.Pack(trainExamples, options.MaxTokens)];
        return new PreparedDataset
        {
            Task = options.Task,
            Train = trainExamples,
            Validation = validationExamples,
            PadId = tokenizer.PadId,
            DroppedRecords = dropped,
            Files = options.Files,
        };
    }
}
