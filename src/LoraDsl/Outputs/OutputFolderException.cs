namespace LoraDsl.Outputs;

/// <summary>An output folder LoraDsl will not write into as asked (it holds a run, a model or other files); the message names the folder and the way out.</summary>
public sealed class OutputFolderException(string folder, string problem) : Exception($"{folder}: {problem}")
{
    public string Folder { get; } = folder;
}
