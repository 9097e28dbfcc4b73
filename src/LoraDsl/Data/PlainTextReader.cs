using System.Text;

namespace LoraDsl.Data;

/// <summary>Reads plain text as documents separated by blank lines; each becomes a record with field "text".</summary>
internal static class PlainTextReader
{
    public const string TextField = "text";

    public static IEnumerable<DataRecord> Read(string path)
    {
        var document = new StringBuilder();
        var start = 0;
        var lineNumber = 0;
        var any = false;
        foreach (var line in File.ReadLines(path))
        {
            lineNumber++;
            if (string.IsNullOrWhiteSpace(line))
            {
                if (document.Length > 0) { any = true; yield return Record(document, path, start); }
                continue;
            }
            if (document.Length == 0) start = lineNumber;
            else document.Append('\n');
            document.Append(line);
        }
        if (document.Length > 0) { any = true; yield return Record(document, path, start); }
        if (!any) throw new DataFormatException(path, 1, "the file has no text.");
    }

    static DataRecord Record(StringBuilder document, string path, int line)
    {
        var text = document.ToString();
        document.Clear();
        return new DataRecord(new Dictionary<string, string?> { [TextField] = text }, path, line);
    }
}
