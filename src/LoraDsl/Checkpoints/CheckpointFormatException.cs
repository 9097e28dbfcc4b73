namespace LoraDsl.Checkpoints;

/// <summary>A checkpoint file or folder that cannot be read as given: the message names the file and the tensor or field.</summary>
public sealed class CheckpointFormatException : Exception
{
    public CheckpointFormatException(string message) : base(message) { }

    public CheckpointFormatException(string message, Exception inner) : base(message, inner) { }
}
