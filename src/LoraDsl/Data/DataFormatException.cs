namespace LoraDsl.Data;

/// <summary>A data file holds a record that cannot be used; the message names file and line.</summary>
public sealed class DataFormatException : Exception
{
    public DataFormatException(string filePath, int line, string problem)
        : base($"{filePath}:{line}: {problem}")
    {
        FilePath = filePath;
        Line = line;
    }

    public string FilePath { get; }

    /// <summary>1-based line where the bad record starts.</summary>
    public int Line { get; }
}
