namespace LoraDsl.Training;

/// <summary>A training checkpoint folder (trainer state, optimizer, RNG) is missing a file or holds one that cannot be read; the message names it.</summary>
public sealed class TrainingCheckpointException(string path, string problem, Exception? inner = null)
    : Exception($"{path}: {problem}", inner)
{
    public string PathAtFault { get; } = path;
}
