using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;

namespace LoraDsl.Data.Chat;

/// <summary>
/// Reads conversation files: JSONL (one record per line) or one JSON array of records (a file whose first character is
/// '['), each record normalised by <see cref="ConversationRecord"/> with the line it starts on.
/// </summary>
internal static class ConversationReader
{
    public static IEnumerable<Conversation> Read(string path, string messagesField = "messages")
    {
        if (!File.Exists(path)) throw new FileNotFoundException($"Data file '{path}' does not exist.", path);
        return StartsWithArray(path) ? ReadArray(path, messagesField) : ReadLines(path, messagesField);
    }

    static bool StartsWithArray(string path)
    {
        using var reader = new StreamReader(path, Encoding.UTF8);
        int c;
        while ((c = reader.Read()) >= 0)
            if (!char.IsWhiteSpace((char)c) && c != '\uFEFF') return c == '[';
        return false;
    }

    static IEnumerable<Conversation> ReadLines(string path, string messagesField)
    {
        var lineNumber = 0;
        foreach (var line in File.ReadLines(path))
        {
            lineNumber++;
            if (string.IsNullOrWhiteSpace(line)) continue;
            JsonNode? node;
            try
            {
                node = JsonNode.Parse(line);
            }
            catch (JsonException e)
            {
                throw new DataFormatException(path, lineNumber, $"invalid JSON: {e.Message}");
            }
            if (node is not JsonObject record) throw new DataFormatException(path, lineNumber, $"expected a JSON object, found {node?.GetValueKind().ToString() ?? "null"}.");
            yield return ConversationRecord.Normalize(record, path, lineNumber, messagesField);
        }
    }

    static IEnumerable<Conversation> ReadArray(string path, string messagesField) =>
        ParseArray(path).Select(r => ConversationRecord.Normalize(r.Record, path, r.Line, messagesField));

    static List<(JsonObject Record, int Line)> ParseArray(string path)
    {
        var bytes = File.ReadAllBytes(path);
        var start = bytes.AsSpan().StartsWith("\uFEFF"u8) ? 3 : 0;
        var lines = new LineCounter(bytes);
        var records = new List<(JsonObject Record, int Line)>();
        var reader = new Utf8JsonReader(bytes.AsSpan(start), new JsonReaderOptions { CommentHandling = JsonCommentHandling.Skip });
        try
        {
            reader.Read();
            while (reader.Read() && reader.TokenType != JsonTokenType.EndArray)
            {
                var line = lines.At(start + (int)reader.TokenStartIndex);
                var node = JsonNode.Parse(ref reader);
                if (node is not JsonObject record) throw new DataFormatException(path, line, $"expected a JSON object in the array, found {node?.GetValueKind().ToString() ?? "null"}.");
                records.Add((record, line));
            }
        }
        catch (JsonException e)
        {
            throw new DataFormatException(path, lines.At((int)Math.Min(start + reader.BytesConsumed, bytes.Length)), $"invalid JSON: {e.Message}");
        }
        return records;
    }

    // Records come in file order, so counting newlines from the last record's offset keeps a large array linear.
    sealed class LineCounter(byte[] bytes)
    {
        int offset;
        int line = 1;

        public int At(int position)
        {
            if (position < offset) (offset, line) = (0, 1);
            for (; offset < position && offset < bytes.Length; offset++) if (bytes[offset] == (byte)'\n') line++;
            return line;
        }
    }
}
