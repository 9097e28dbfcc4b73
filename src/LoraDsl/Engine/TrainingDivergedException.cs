namespace LoraDsl.Engine;

/// <summary>Training stopped on a NaN or infinite loss; the last good checkpoint is kept.</summary>
public sealed class TrainingDivergedException(string message, string? lastGoodCheckpoint)
    : Exception($"{message} Last good checkpoint: {lastGoodCheckpoint ?? "none (diverged before the first checkpoint)"}.")
{
    public string? LastGoodCheckpoint { get; } = lastGoodCheckpoint;
}
