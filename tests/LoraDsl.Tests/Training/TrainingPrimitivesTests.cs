using LoraDsl.Data;
using LoraDsl.Tests.Data;
using LoraDsl.Training;
using TorchSharp;
using TorchSharp.Modules;
using Xunit;
using static TorchSharp.torch;

namespace LoraDsl.Tests.Training;

/// <summary>The steps the generated loop is made of, checked against direct computations.</summary>
[Collection(TorchRandomCollection.Name)]
public class TrainingPrimitivesTests
{
    [Fact]
    public void Accumulating_two_batches_of_two_with_halved_losses_equals_one_batch_of_four()
    {
        using var dir = new TempFolder();
        var data = TrainingFixture.ClassificationData(dir);
        torch.manual_seed(5);
        var model = new TinyClassifier(labels: 2);
        model.eval(); // no dropout: both ways must see the same function
        var parameters = TrainableParameters.Of(model);
        List<Tensor> Gradients() => [.. parameters.Select(p => { using var g = p.grad!; return g.clone(); })];

        foreach (var p in parameters) p.grad = null;
        using (var four = BatchCollator.Collate(data, [0, 1, 2, 3], CPU)) TrainingLoss.Compute(model, four).backward();
        var gradFour = Gradients();

        foreach (var p in parameters) p.grad = null;
        foreach (var half in new[] { new[] { 0, 1 }, [2, 3] })
        {
            using var batch = BatchCollator.Collate(data, half, CPU);
            (TrainingLoss.Compute(model, batch) / 2).backward();
        }
        var gradTwo = Gradients();
        for (var i = 0; i < gradFour.Count; i++)
        {
            Assert.True(gradFour[i].abs().sum().item<float>() > 0, "gradient is zero: the test would prove nothing");
            Assert.True(gradFour[i].allclose(gradTwo[i], rtol: 0, atol: 1e-6), $"parameter {i} differs");
        }
    }

    [Fact]
    public void Clipping_bounds_the_global_gradient_norm_and_returns_the_norm_before()
    {
        using var dir = new TempFolder();
        var data = TrainingFixture.ClassificationData(dir);
        torch.manual_seed(5);
        var model = new TinyClassifier(labels: 2);
        var parameters = TrainableParameters.Of(model);
        using (var batch = BatchCollator.Collate(data, [0, 1, 2, 3], CPU)) TrainingLoss.Compute(model, batch).backward();
        var direct = Math.Sqrt(parameters.Sum(p => { using var g = p.grad!; return g.pow(2).sum().item<float>(); }));
        var before = GradientClipping.ClipNorm(parameters, 1e-3);
        var after = Math.Sqrt(parameters.Sum(p => { using var g = p.grad!; return g.pow(2).sum().item<float>(); }));
        Assert.Equal(direct, before, 4);
        Assert.True(before > 1e-3, $"norm {before} was already below the limit");
        Assert.InRange(after, 0, 1e-3 * 1.001);
    }

    [Fact]
    public void Setting_the_learning_rate_reaches_every_group()
    {
        torch.manual_seed(5);
        var model = new TinyClassifier(labels: 2);
        using var optimizer = AdamWOptimizer.Create(model, new TrainingOptions { WeightDecay = 0.1, LearningRate = 0.01 });
        Assert.Equal(2, optimizer.ParamGroups.Count()); // decayed weights, and biases/norms without decay
        AdamWOptimizer.SetLearningRate(optimizer, 0.5);
        Assert.All(optimizer.ParamGroups, g => Assert.Equal(0.5, g.LearningRate));
    }

    [Fact]
    public void Trainer_state_advances_by_the_batches_consumed_and_keeps_the_best_loss()
    {
        var state = TrainerState.Start(7, 10).AfterStep(2, 30, 0.1).AfterStep(2, 20, 0.2);
        Assert.Equal((2, 4, 50L, 0.2), (state.GlobalStep, state.BatchInEpoch, state.TokensSeen, state.LearningRate));
        state = state.NextEpoch();
        Assert.Equal((1, 0), (state.Epoch, state.BatchInEpoch));
        Assert.True(state.IsImprovedBy(3.0));
        var best = state.WithBest(3.0);
        Assert.Equal((3.0, 2), (best.BestEvalLoss!.Value, best.BestStep!.Value));
        Assert.False(best.IsImprovedBy(3.5));
        Assert.False(best.IsImprovedBy(double.NaN));
        Assert.True(best.IsImprovedBy(2.5));
    }
}
