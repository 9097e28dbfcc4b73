using System.Text.Json;

namespace LoraDsl.Data;

/// <summary>Reads JSONL: one JSON object per line, blank lines skipped; scalar fields become text.</summary>
internal static class JsonLinesReader
{
    public static IEnumerable<DataRecord> Read(string path)
    {
        var lineNumber = 0;
        foreach (var line in File.ReadLines(path))
        {
            lineNumber++;
            if (string.IsNullOrWhiteSpace(line)) continue;
            yield return Parse(line, path, lineNumber);
        }
    }

    static DataRecord Parse(string line, string path, int lineNumber)
    {
        JsonDocument document;
        try
        {
            document = JsonDocument.Parse(line);
        }
        catch (JsonException e)
        {
            throw new DataFormatException(path, lineNumber, $"invalid JSON: {e.Message}");
        }
        using (document)
        {
            if (document.RootElement.ValueKind != JsonValueKind.Object)
                throw new DataFormatException(path, lineNumber, $"expected a JSON object, found {document.RootElement.ValueKind}.");
            var fields = new Dictionary<string, string?>(StringComparer.Ordinal);
            foreach (var property in document.RootElement.EnumerateObject())
                fields[property.Name] = property.Value.ValueKind switch
                {
                    JsonValueKind.String => property.Value.GetString(),
                    JsonValueKind.Number => property.Value.GetRawText(),
                    JsonValueKind.True => "true",
                    JsonValueKind.False => "false",
                    JsonValueKind.Null => null,
                    _ => property.Value.GetRawText(),
                };
            return new DataRecord(fields, path, lineNumber);
        }
    }

}
