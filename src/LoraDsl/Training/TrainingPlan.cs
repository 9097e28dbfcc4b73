using LoraDsl.Data;
using LoraDsl.Models;

namespace LoraDsl.Training;

/// <summary>What a run will do, known before its first step.</summary>
public sealed record TrainingPlan(
    int TotalSteps,
    int StepsPerEpoch,
    int Epochs,
    int WarmupSteps,
    int StartStep,
    long TrainableParameters,
    long TotalParameters,
    int TrainExamples,
    int ValidationExamples,
    string OutputDirectory)
{
    /// <summary>Optimizer steps of one epoch: its micro-batches in groups of the accumulation times the processes.</summary>
    public static int StepsPerEpochFor(TrainingOptions options, EpochBatchOrder order, int processes = 1) =>
        (order.BatchesPerEpoch + MicroBatchesPerStep(options, processes) - 1) / MicroBatchesPerStep(options, processes);

    /// <summary>Micro-batches in one optimizer step over all <paramref name="processes"/>: accumulation × processes (the global batch over the batch size).</summary>
    public static int MicroBatchesPerStep(TrainingOptions options, int processes = 1)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(processes);
        return checked(options.GradientAccumulationSteps * processes);
    }

    /// <summary>All optimizer steps of a run: the epochs', capped by max_steps (known before any adapter exists, for AdaLoRA's total_step).</summary>
    public static int TotalStepsFor(TrainingOptions options, EpochBatchOrder order, int processes = 1)
    {
        var total = StepsPerEpochFor(options, order, processes) * options.Epochs;
        return options.MaxSteps is { } max && max < total ? max : total;
    }

    /// <summary>Steps from the epochs, the batch order and accumulation (capped by max_steps), and the parameter counts.</summary>
    public static TrainingPlan For(TrainingOptions options, EpochBatchOrder order, PretrainedModel model, PreparedDataset data, string outputDirectory, int processes = 1)
    {
        if (data.Train.Count == 0) throw new ArgumentException("The training split is empty: add data or lower the validation fraction (data.validation_fraction).");
        var stepsPerEpoch = StepsPerEpochFor(options, order, processes);
        var total = TotalStepsFor(options, order, processes);
        var schedule = LearningRateSchedule.From(options, total);
        return new TrainingPlan(total, stepsPerEpoch, options.Epochs, schedule.WarmupSteps, 0,
            Training.TrainableParameters.Of(model).Sum(p => p.numel()), Lora.TrainableParameterReport.Of(model).Total,
            data.Train.Count, data.Validation.Count, Path.GetFullPath(outputDirectory));
    }
}
