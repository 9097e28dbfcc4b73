namespace LoraDsl.Checkpoints;

/// <summary>A config.json whose <c>model_type</c> no registered architecture handles; the message lists the supported ones.</summary>
public sealed class UnsupportedModelException(string message) : Exception(message);
