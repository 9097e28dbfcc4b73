using LoraDsl.Models;
using LoraDsl.Native;
using LoraDsl.Training;
using TorchSharp;
using Xunit;
using static TorchSharp.torch;

namespace LoraDsl.Tests.Training;

public class TrainingLossTests
{
    [Fact]
    public void LanguageModelLossShiftsLabelsAndSkipsIgnoredPositions()
    {
        TorchNative.EnsureLoaded();
        using var generator = new Generator(7);
        using var logits = torch.randn([1, 4, 6], generator: generator);
        using var labels = torch.tensor(new long[] { 3, -100, 5, 2 }, [1, 4]);
        using var loss = TrainingLoss.Compute(logits, labels, ModelTask.CausalLanguageModeling);

        // Position t predicts label t+1: (0 → -100 skipped), (1 → 5), (2 → 2); position 3 predicts nothing.
        double Nll(int position, int target)
        {
            using var logProbs = logits[0, position].log_softmax(0);
            return -logProbs[target].item<float>();
        }
        var expected = (Nll(1, 5) + Nll(2, 2)) / 2;
        Assert.Equal(expected, loss.item<float>(), 5);

        var (sum, count) = TrainingLoss.ComputeSum(logits, labels, ModelTask.CausalLanguageModeling);
        using (sum)
        {
            Assert.Equal(2, count);
            Assert.Equal(expected * 2, sum.item<float>(), 4);
        }
    }

    [Fact]
    public void ClassificationLossIsPlainCrossEntropy()
    {
        TorchNative.EnsureLoaded();
        using var logits = torch.tensor(new float[] { 2, 0, 0, 1 }, [2, 2]);
        using var labels = torch.tensor(new long[] { 0, 1 });
        using var loss = TrainingLoss.Compute(logits, labels, ModelTask.SequenceClassification);
        var expected = (Math.Log(1 + Math.Exp(-2)) + Math.Log(1 + Math.Exp(-1))) / 2;
        Assert.Equal(expected, loss.item<float>(), 5);
    }
}
