using System.Text;

namespace LoraDsl.Data;

/// <summary>Reads RFC 4180 CSV with a header row: quoted fields, doubled quotes, newlines inside quotes.</summary>
internal static class CsvReader
{
    public static IEnumerable<DataRecord> Read(string path)
    {
        using var reader = new StreamReader(path, Encoding.UTF8);
        var line = 1;
        string[]? header = null;
        while (true)
        {
            var startLine = line;
            var row = ReadRow(reader, path, ref line);
            if (row is null) yield break;
            if (row.Count == 1 && row[0].Length == 0) continue;
            if (header is null)
            {
                header = [.. row];
                var duplicate = header.GroupBy(h => h, StringComparer.Ordinal).FirstOrDefault(g => g.Count() > 1);
                if (duplicate is not null) throw new DataFormatException(path, startLine, $"header repeats column '{duplicate.Key}'.");
                continue;
            }
            if (row.Count != header.Length)
                throw new DataFormatException(path, startLine, $"expected {header.Length} columns ({string.Join(", ", header)}), found {row.Count}.");
            var fields = new Dictionary<string, string?>(StringComparer.Ordinal);
            for (var i = 0; i < header.Length; i++) fields[header[i]] = row[i];
            yield return new DataRecord(fields, path, startLine);
        }
    }

    /// <summary>One row, or null at end of file; <paramref name="line"/> advances past the row's newlines.</summary>
    static List<string>? ReadRow(StreamReader reader, string path, ref int line)
    {
        if (reader.Peek() < 0) return null;
        var startLine = line;
        var fields = new List<string>();
        var field = new StringBuilder();
        var quoted = false;
        var quoteLine = line;
        var fieldStarted = false;
        while (true)
        {
            var c = reader.Read();
            if (c < 0)
            {
                if (quoted) throw new DataFormatException(path, quoteLine, "the quoted field that opens on this line is not closed before the end of the file.");
                fields.Add(field.ToString());
                return fields;
            }
            var ch = (char)c;
            if (quoted)
            {
                if (ch == '"')
                {
                    if (reader.Peek() == '"') { reader.Read(); field.Append('"'); }
                    else quoted = false;
                }
                else
                {
                    if (ch == '\n') line++;
                    field.Append(ch);
                }
                continue;
            }
            switch (ch)
            {
                case '"' when !fieldStarted:
                    quoted = true;
                    quoteLine = line;
                    fieldStarted = true;
                    break;
                case '"':
                    throw new DataFormatException(path, line, "a quote inside an unquoted field (quote the whole field and double inner quotes).");
                case ',':
                    fields.Add(field.ToString());
                    field.Clear();
                    fieldStarted = false;
                    break;
                case '\r':
                    break;
                case '\n':
                    line++;
                    fields.Add(field.ToString());
                    return fields;
                default:
                    field.Append(ch);
                    fieldStarted = true;
                    break;
            }
        }
    }
}
