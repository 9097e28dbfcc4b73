using System.Globalization;

namespace LoraDsl.Data;

/// <summary>text → truncated token ids, label → class index.</summary>
internal static class ClassificationEncoder
{
    /// <summary>Label names in index order: the given ones, or the sorted distinct values (numerically when all are integers).</summary>
    public static IReadOnlyList<string> ResolveLabels(IEnumerable<DataRecord> records, DataOptions options)
    {
        if (options.Labels is { Count: > 0 } given)
            return given.Count >= 2 ? given
                : throw new DataFormatException(string.Join(", ", options.Files), $"data.labels names one class ('{given[0]}'); classification needs at least two.");
        var values = records.Select(r => r.Require(options.LabelField).Trim()).Distinct(StringComparer.Ordinal).ToList();
        // One class would train to loss 0 and "100 % accuracy" while learning nothing.
        if (values.Count < 2)
            throw new DataFormatException(string.Join(", ", options.Files), values.Count == 0
                ? $"no records with a '{options.LabelField}' label; classification needs at least two classes."
                : $"every record has the label '{values[0]}' (field '{options.LabelField}'); classification needs at least two classes. Add records of the other classes or set data.labels.");
        return values.All(v => long.TryParse(v, NumberStyles.Integer, CultureInfo.InvariantCulture, out _))
            ? [.. values.OrderBy(v => long.Parse(v, CultureInfo.InvariantCulture))]
            : [.. values.Order(StringComparer.Ordinal)];
    }

    public static TokenizedExample Encode(DataRecord record, ITextTokenizer tokenizer, DataOptions options, IReadOnlyList<string> labels)
    {
        var text = record.Require(options.TextField);
        var value = record.Require(options.LabelField).Trim();
        var index = IndexOf(labels, value);
        if (index < 0)
        {
            // Numeric labels index the given label names (e.g. SST-2's 0/1 with Labels = [negative, positive]).
            if (int.TryParse(value, NumberStyles.Integer, CultureInfo.InvariantCulture, out var n) && n >= 0 && n < labels.Count
                && options.Labels is { Count: > 0 })
                index = n;
            else
                throw new DataFormatException(record.FilePath, record.Line, $"label '{value}' is not one of: {string.Join(", ", labels)}.");
        }
        // [BOS] text [EOS], truncated inside so the end marker survives (BERT's [CLS] ... [SEP]).
        var ids = new List<int>(options.MaxTokens);
        if (tokenizer.BosId is { } bos) ids.Add(bos);
        ids.AddRange(tokenizer.Encode(text));
        var room = options.MaxTokens - (tokenizer.EosId is null ? 0 : 1);
        if (ids.Count > room) ids.RemoveRange(room, ids.Count - room);
        if (tokenizer.EosId is { } eos) ids.Add(eos);
        return new TokenizedExample([.. ids], [index]);
    }

    static int IndexOf(IReadOnlyList<string> labels, string value)
    {
        for (var i = 0; i < labels.Count; i++)
            if (string.Equals(labels[i], value, StringComparison.Ordinal)) return i;
        return -1;
    }
}
