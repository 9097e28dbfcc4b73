using LoraDsl.Data;
using LoraDsl.Distributed;
using LoraDsl.Models;
using TorchSharp;
using static TorchSharp.torch;

namespace LoraDsl.Training;

/// <summary>Validation loss, and perplexity or classification scores, of a model on a prepared dataset's validation split.</summary>
public static class Evaluator
{
    /// <summary>
    /// Null when the dataset has no validation split. With several <paramref name="processes"/> each evaluates every
    /// P-th batch; per-batch sums travel in per-batch slots and are added in batch order, so the loss does not depend on the process count.
    /// </summary>
    public static EvaluationMetrics? Evaluate(PretrainedModel model, PreparedDataset data, int batchSize, int step, Device device, ProcessGroup? processes = null)
    {
        if (data.Validation.Count == 0) return null;
        var task = model.Task;
        var wasTraining = model.training;
        model.eval();
        try
        {
            using var noGrad = no_grad();
            var group = processes ?? ProcessGroup.Single;
            var chunks = data.Validation.Chunk(batchSize).ToArray();
            var batchLoss = new double[chunks.Length];
            var batchCount = new long[chunks.Length];
            // Classification: each example's predicted label + 1, 0 where another process predicts it.
            var predictedSlots = new long[data.Validation.Count];
            for (var b = 0; b < chunks.Length; b++)
            {
                if (b % group.Size != group.Rank) continue;
                var chunk = chunks[b];
                using var scope = NewDisposeScope();
                using var batch = BatchCollator.Collate(chunk, data.Task, data.PadId, device);
                var inputs = batch.Inputs();
                // Classification needs the logits for its scores; a language model's loss never builds them.
                var logits = task == ModelTask.SequenceClassification ? model.Forward(inputs) : null;
                var (sum, n) = logits is null
                    ? TrainingLoss.ComputeSum(model, inputs, batch.Labels)
                    : TrainingLoss.ComputeSum(logits, batch.Labels, task);
                batchLoss[b] = Native.HostMemory.Item<float>(sum);
                batchCount[b] = n;
                if (logits is null) continue;
                var labels = Native.HostMemory.ToArray<long>(logits.argmax(-1));
                for (var i = 0; i < labels.Length; i++) predictedSlots[b * batchSize + i] = labels[i] + 1;
            }
            if (group.IsDistributed)
            {
                group.SumInPlace(batchLoss, "the validation loss");
                group.SumInPlace(batchCount, "the validation token counts");
                if (task == ModelTask.SequenceClassification) group.SumInPlace(predictedSlots, "the validation predictions");
            }
            var lossSum = 0.0;
            long count = 0;
            for (var b = 0; b < chunks.Length; b++) (lossSum, count) = (lossSum + batchLoss[b], count + batchCount[b]);
            var loss = count == 0 ? double.NaN : lossSum / count;
            if (task == ModelTask.SequenceClassification)
            {
                var predicted = predictedSlots.Select(v => (int)v - 1).ToList();
                var actual = data.Validation.Select(e => e.Labels[0]).ToList();
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
