namespace LoraDsl.Training;

/// <summary>trainer_state.json: where the loop stood when a checkpoint was written.</summary>
public sealed record TrainerState
{
    /// <summary>Optimiser steps finished (also the scheduler's step).</summary>
    public required int GlobalStep { get; init; }

    /// <summary>Epoch of the next micro-batch (0-based).</summary>
    public required int Epoch { get; init; }

    /// <summary>Index of the next micro-batch within <see cref="Epoch"/>.</summary>
    public required int BatchInEpoch { get; init; }

    /// <summary>Seed of the data shuffler; each epoch's order is derived from it and the epoch.</summary>
    public required long DataSeed { get; init; }

    public required double LearningRate { get; init; }
    public double? BestEvalLoss { get; init; }
    public int? BestStep { get; init; }
    public long TokensSeen { get; init; }
    public int TotalSteps { get; init; }
}
