namespace LoraDsl.Data;

/// <summary>One record of a data file: its fields as text plus where it came from.</summary>
internal sealed class DataRecord
{
    public DataRecord(IReadOnlyDictionary<string, string?> fields, string filePath, int line)
    {
        Fields = fields;
        FilePath = filePath;
        Line = line;
    }

    public IReadOnlyDictionary<string, string?> Fields { get; }
    public string FilePath { get; }
    public int Line { get; }

    /// <summary>The field's value; a missing, null or blank field is a <see cref="DataFormatException"/>.</summary>
    public string Require(string field)
    {
        if (Fields.TryGetValue(field, out var value) && value is null)
            throw new DataFormatException(FilePath, Line, $"field '{field}' is null; give it a text value.");
        if (value is null)
            throw new DataFormatException(FilePath, Line, $"missing field '{field}' (fields present: {string.Join(", ", Fields.Keys)}).");
        if (string.IsNullOrWhiteSpace(value))
            throw new DataFormatException(FilePath, Line, $"field '{field}' is empty.");
        return value;
    }

    /// <summary>The field's value, or "" when absent (Alpaca's optional input).</summary>
    public string Optional(string field) => Fields.TryGetValue(field, out var value) && value is not null ? value : "";
}
