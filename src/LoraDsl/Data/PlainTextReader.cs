using System.Text;

namespace LoraDsl.Data;

/// <summary>Reads plain text as documents separated by blank lines; each becomes a record with field "text".</summary>
internal static class PlainTextReader
{
    public const string TextField = "text";

    public static IEnumerable<DataRecord> Read(string path)
    {
        // A one-line document is kept as the line itself; only a second line starts a StringBuilder, so a huge
        // single-line file is not copied twice more on its way to the tokenizer.
        string? first = null;
        var document = new StringBuilder();
        var start = 0;
        var lineNumber = 0;
        var any = false;
        foreach (var line in File.ReadLines(path))
        {
            lineNumber++;
            if (string.IsNullOrWhiteSpace(line))
            {
                if (first is not null) { any = true; var text = Take(ref first, document); yield return Record(text, path, start); }
                continue;
            }
            if (first is null) { start = lineNumber; first = line; continue; }
            if (document.Length == 0) document.Append(first);
            document.Append('\n').Append(line);
        }
        if (first is not null) { any = true; var text = Take(ref first, document); yield return Record(text, path, start); }
        if (!any) throw new DataFormatException(path, 1, "the file has no text.");
    }

    static string Take(ref string? first, StringBuilder document)
    {
        var text = document.Length > 0 ? document.ToString() : first!;
        document.Clear();
        first = null;
        return text;
    }

    static DataRecord Record(string text, string path, int line) =>
        new(new Dictionary<string, string?> { [TextField] = text }, path, line);
}
