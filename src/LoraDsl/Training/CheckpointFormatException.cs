namespace LoraDsl.Training;

/// <summary>A checkpoint folder is missing a file or holds one that cannot be read; the message names it.</summary>
public sealed class CheckpointFormatException(string path, string problem, Exception? inner = null)
    : Exception($"{path}: {problem}", inner)
{
    public string PathAtFault { get; } = path;
}
