namespace LoraDsl.Training;

/// <summary>trainer_state.json: where the loop stands. The generated loop replaces it after every step (it is a value).</summary>
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

    /// <summary>Before the first step of a run.</summary>
    public static TrainerState Start(long dataSeed, int totalSteps) => new()
    {
        GlobalStep = 0, Epoch = 0, BatchInEpoch = 0, DataSeed = dataSeed, LearningRate = 0, TotalSteps = totalSteps,
    };

    /// <summary>After one optimizer step that consumed <paramref name="batches"/> micro-batches.</summary>
    public TrainerState AfterStep(int batches, int tokens, double learningRate) => this with
    {
        GlobalStep = GlobalStep + 1, BatchInEpoch = BatchInEpoch + batches, TokensSeen = TokensSeen + tokens, LearningRate = learningRate,
    };

    /// <summary>At the first batch of the next epoch.</summary>
    public TrainerState NextEpoch() => this with { Epoch = Epoch + 1, BatchInEpoch = 0 };

    /// <summary>Whether <paramref name="evalLoss"/> beats the best evaluation so far.</summary>
    public bool IsImprovedBy(double evalLoss) => double.IsFinite(evalLoss) && (BestEvalLoss is null || evalLoss < BestEvalLoss);

    /// <summary>With <paramref name="evalLoss"/> as the best evaluation, at this step.</summary>
    public TrainerState WithBest(double evalLoss) => this with { BestEvalLoss = evalLoss, BestStep = GlobalStep };
}
