using LoraDsl.Data;
using Xunit;

namespace LoraDsl.Tests.Data;

public class DataReaderTests
{
    [Fact]
    public void JsonLinesReadsScalarFieldsAndSkipsBlankLines()
    {
        using var dir = new TempFolder();
        var file = dir.Write("a.jsonl", "{\"text\":\"hi\",\"label\":1}\n\n{\"text\":\"yo\",\"label\":\"neg\",\"x\":null}\n");
        var records = DataFileReader.Read(file).ToList();
        Assert.Equal(2, records.Count);
        Assert.Equal("1", records[0].Fields["label"]);
        Assert.Equal("neg", records[1].Fields["label"]);
        Assert.Equal(3, records[1].Line);
        Assert.Null(records[1].Fields["x"]);
    }

    [Fact]
    public void InvalidJsonNamesFileAndLine()
    {
        using var dir = new TempFolder();
        var file = dir.Write("bad.jsonl", "{\"text\":\"ok\"}\n{\"text\":\"ok\"}\n{\"text\": oops}\n");
        var e = Assert.Throws<DataFormatException>(() => DataFileReader.Read(file).ToList());
        Assert.Equal(3, e.Line);
        Assert.Contains($"{file}:3:", e.Message);
        Assert.Contains("invalid JSON", e.Message);
    }

    [Fact]
    public void JsonArrayLineIsRejected()
    {
        using var dir = new TempFolder();
        var file = dir.Write("arr.jsonl", "[1,2]\n");
        var e = Assert.Throws<DataFormatException>(() => DataFileReader.Read(file).ToList());
        Assert.Contains("expected a JSON object", e.Message);
    }

    [Fact]
    public void CsvHandlesQuotesCommasAndNewlinesInsideFields()
    {
        using var dir = new TempFolder();
        var file = dir.Write("a.csv", "text,label\r\n\"hello, world\",pos\n\"she said \"\"no\"\"\nthen left\",neg\nplain,pos\n");
        var records = DataFileReader.Read(file).ToList();
        Assert.Equal(3, records.Count);
        Assert.Equal("hello, world", records[0].Fields["text"]);
        Assert.Equal("she said \"no\"\nthen left", records[1].Fields["text"]);
        Assert.Equal(3, records[1].Line);
        Assert.Equal("plain", records[2].Fields["text"]);
        Assert.Equal(5, records[2].Line);
    }

    [Fact]
    public void CsvWrongColumnCountNamesFileAndLine()
    {
        using var dir = new TempFolder();
        var file = dir.Write("b.csv", "text,label\nfine,pos\ntoo,many,columns\n");
        var e = Assert.Throws<DataFormatException>(() => DataFileReader.Read(file).ToList());
        Assert.Equal(3, e.Line);
        Assert.Contains($"{file}:3:", e.Message);
        Assert.Contains("expected 2 columns", e.Message);
    }

    [Fact]
    public void CsvUnclosedQuoteIsReported()
    {
        using var dir = new TempFolder();
        var file = dir.Write("c.csv", "text,label\n\"never closed,pos\n");
        var e = Assert.Throws<DataFormatException>(() => DataFileReader.Read(file).ToList());
        Assert.Equal(2, e.Line);
    }

    [Fact]
    public void PlainTextSplitsDocumentsOnBlankLines()
    {
        using var dir = new TempFolder();
        var file = dir.Write("a.txt", "first line\nsecond line\n\n\nnext doc\n");
        var records = DataFileReader.Read(file).ToList();
        Assert.Equal(2, records.Count);
        Assert.Equal("first line\nsecond line", records[0].Fields["text"]);
        Assert.Equal(5, records[1].Line);
    }

    [Fact]
    public void EmptyPlainTextFileIsRejected()
    {
        using var dir = new TempFolder();
        var file = dir.Write("empty.txt", "\n  \n");
        Assert.Throws<DataFormatException>(() => DataFileReader.Read(file).ToList());
    }

    [Fact]
    public void MissingAndEmptyFieldsNameFileAndLine()
    {
        using var dir = new TempFolder();
        var file = dir.Write("m.jsonl", "{\"text\":\"a\",\"label\":\"x\"}\n{\"label\":\"y\"}\n");
        var options = new DataOptions { Files = [file], ValidationFraction = 0 };
        var e = Assert.Throws<DataFormatException>(() => DatasetBuilder.Build(options, new ByteTokenizer()));
        Assert.Equal(2, e.Line);
        Assert.Contains("missing field 'text'", e.Message);

        var empty = dir.Write("e.jsonl", "{\"text\":\"  \",\"label\":\"x\"}\n{\"text\":\"b\",\"label\":\"y\"}\n");
        var e2 = Assert.Throws<DataFormatException>(() => DatasetBuilder.Build(options with { Files = [empty] }, new ByteTokenizer()));
        Assert.Contains($"{empty}:1:", e2.Message);
        Assert.Contains("empty", e2.Message);
    }
}
