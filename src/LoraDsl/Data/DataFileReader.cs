namespace LoraDsl.Data;

/// <summary>Picks the reader for a file from <see cref="DataFormat"/> or, for Auto, the extension.</summary>
internal static class DataFileReader
{
    public static DataFormat Resolve(string path, DataFormat format) =>
        format != DataFormat.Auto
            ? format
            : Path.GetExtension(path).ToLowerInvariant() switch
            {
                ".jsonl" or ".ndjson" => DataFormat.JsonLines,
                ".csv" => DataFormat.Csv,
                _ => DataFormat.PlainText,
            };

    public static IEnumerable<DataRecord> Read(string path, DataFormat format = DataFormat.Auto)
    {
        if (!File.Exists(path)) throw new FileNotFoundException($"Data file '{path}' does not exist.", path);
        return Resolve(path, format) switch
        {
            DataFormat.JsonLines => JsonLinesReader.Read(path),
            DataFormat.Csv => CsvReader.Read(path),
            _ => PlainTextReader.Read(path),
        };
    }
}
