using LoraDsl.Data;
using LoraDsl.Models;
using TorchSharp;
using static TorchSharp.torch;

namespace LoraDsl.Training;

/// <summary>Validation loss, and perplexity or classification scores, of a model on a prepared dataset's validation split.</summary>
public static class Evaluator
{
    /// <summary>Null when the dataset has no validation split.</summary>
    public static EvaluationMetrics? Evaluate(PretrainedModel model, PreparedDataset data, int batchSize, int step, Device device)
    {
        if (data.Validation.Count == 0) return null;
        var task = model.Task;
        var wasTraining = model.training;
        model.eval();
        try
        {
            using var noGrad = no_grad();
            var lossSum = 0.0;
            long count = 0;
            var predicted = new List<int>();
            var actual = new List<int>();
            foreach (var chunk in data.Validation.Chunk(batchSize))
            {
                using var scope = NewDisposeScope();
                using var batch = BatchCollator.Collate(chunk, data.Task, data.PadId, device);
                var inputs = batch.Inputs();
                // Classification needs the logits for its scores; a language model's loss never builds them.
                var logits = task == ModelTask.SequenceClassification ? model.Forward(inputs) : null;
                var (sum, n) = logits is null
                    ? TrainingLoss.ComputeSum(model, inputs, batch.Labels)
                    : TrainingLoss.ComputeSum(logits, batch.Labels, task);
                lossSum += Native.HostMemory.Item<float>(sum);
                count += n;
                if (logits is null) continue;
                predicted.AddRange(Native.HostMemory.ToArray<long>(logits.argmax(-1)).Select(v => (int)v));
                actual.AddRange(chunk.Select(e => e.Labels[0]));
            }
            var loss = count == 0 ? double.NaN : lossSum / count;
            if (task == ModelTask.SequenceClassification)
            {
                var (accuracy, classes) = ClassificationScores.Compute(predicted, actual, data.Labels);
                return new EvaluationMetrics(step, loss, null, accuracy, classes);
            }
            return new EvaluationMetrics(step, loss, Math.Exp(loss), null, []);
        }
        finally
        {
            if (wasTraining) model.train();
        }
    }
}
