namespace LoraDsl.Checkpoints;

/// <summary>A checkpoint folder lacks a file it needs; the message names the folder and every file looked for.</summary>
public sealed class CheckpointNotFoundException(string message) : Exception(message);
