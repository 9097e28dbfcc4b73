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
    /// <summary>Steps from the epochs, the batch order and accumulation (capped by max_steps), and the parameter counts.</summary>
    public static TrainingPlan For(TrainingOptions options, EpochBatchOrder order, PretrainedModel model, PreparedDataset data, string outputDirectory)
    {
        if (data.Train.Count == 0) throw new ArgumentException("The training split is empty: add data or lower the validation fraction (data.validation_fraction).");
        var stepsPerEpoch = (order.BatchesPerEpoch + options.GradientAccumulationSteps - 1) / options.GradientAccumulationSteps;
        var total = stepsPerEpoch * options.Epochs;
        if (options.MaxSteps is { } max && max < total) total = max;
        var schedule = LearningRateSchedule.From(options, total);
        return new TrainingPlan(total, stepsPerEpoch, options.Epochs, schedule.WarmupSteps, 0,
            Training.TrainableParameters.Of(model).Sum(p => p.numel()), Lora.TrainableParameterReport.Of(model).Total,
            data.Train.Count, data.Validation.Count, Path.GetFullPath(outputDirectory));
    }
}
