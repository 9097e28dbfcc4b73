using System.Text;
using System.Text.Json;

namespace LoraDsl.Data;

/// <summary>Reads JSONL: one JSON object per line, blank lines skipped; scalar fields become text.</summary>
internal static class JsonLinesReader
{
    public static IEnumerable<DataRecord> Read(string path)
    {
        var lineNumber = 0;
        // Strict UTF-8: a bad byte is an error naming where it is, not a silent U+FFFD in the training text.
        using var reader = new StreamReader(path, new UTF8Encoding(encoderShouldEmitUTF8Identifier: false, throwOnInvalidBytes: true));
        while (true)
        {
            string? line;
            try
            {
                line = reader.ReadLine();
            }
            catch (DecoderFallbackException)
            {
                throw InvalidUtf8(path);
            }
            if (line is null) yield break;
            lineNumber++;
            if (string.IsNullOrWhiteSpace(line)) continue;
            yield return Parse(line, path, lineNumber);
        }
    }

    /// <summary>The error for the first byte of <paramref name="path"/> that is not valid UTF-8, with its line and byte offset.</summary>
    static DataFormatException InvalidUtf8(string path)
    {
        var bytes = File.ReadAllBytes(path);
        var offset = 0;
        var line = 1;
        while (offset < bytes.Length)
        {
            if (Rune.DecodeFromUtf8(bytes.AsSpan(offset), out var rune, out var consumed) != System.Buffers.OperationStatus.Done)
                return new DataFormatException(path, line, $"invalid UTF-8 at byte offset {offset} (byte 0x{bytes[offset]:X2}); save the file as UTF-8.");
            if (rune.Value == '\n') line++;
            offset += consumed;
        }
        return new DataFormatException(path, "is not valid UTF-8; save the file as UTF-8.");
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
