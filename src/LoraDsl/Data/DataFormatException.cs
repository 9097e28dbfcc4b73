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

    /// <summary>A problem of the file (or files) as a whole, not of one record.</summary>
    public DataFormatException(string filePath, string problem)
        : base($"{filePath}: {problem}")
    {
        FilePath = filePath;
    }

    public string FilePath { get; }

    /// <summary>1-based line where the bad record starts; 0 for a problem of the whole file.</summary>
    public int Line { get; }
}
