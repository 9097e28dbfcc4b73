using LoraDsl.Data;
using LoraDsl.Tests.Data;
using LoraDsl.Training;
using TorchSharp;
using Xunit;
using static TorchSharp.torch;

namespace LoraDsl.Tests.Training;

[Collection(TorchRandomCollection.Name)]
public class TrainerTests
{
    [Fact]
    public void ResumedRunGivesExactlyTheLossesOfAnUninterruptedRun()
    {
        using var dir = new TempFolder();
        var data = TrainingFixture.LanguageModelData(dir, out _);
        var fullOptions = TrainingFixture.LanguageModelOptions(Path.Combine(dir.Path, "full"));

        var model = TrainingFixture.LanguageModel();
        using var full = new Trainer(model, data, fullOptions, new TrainableParameterStore(model));
        var uninterrupted = full.Train();
        Assert.Equal(TrainingStatus.Completed, uninterrupted.Status);
        Assert.True(uninterrupted.FinalStep >= 8, $"only {uninterrupted.FinalStep} steps");

        var splitOptions = fullOptions with { OutputDirectory = Path.Combine(dir.Path, "split") };
        using var cancel = new CancellationTokenSource();
        var first = TrainingFixture.LanguageModel();
        using var firstTrainer = new Trainer(first, data, splitOptions, new TrainableParameterStore(first), [new CancelAfterStep(5, cancel)]);
        var interrupted = firstTrainer.Train(cancellation: cancel.Token);
        Assert.Equal(TrainingStatus.Cancelled, interrupted.Status);
        Assert.Equal(5, interrupted.FinalStep);

        // A fresh process would build the model again; its trainable weights come from the checkpoint.
        torch.manual_seed(999);
        var second = TrainingFixture.LanguageModel();
        using var secondTrainer = new Trainer(second, data, splitOptions, new TrainableParameterStore(second));
        var resumed = secondTrainer.Train(resumeFrom: Path.Combine(splitOptions.OutputDirectory, Trainer.LastCheckpointName));
        Assert.Equal(TrainingStatus.Completed, resumed.Status);
        Assert.Equal(5, resumed.StartStep);

        Assert.Equal(uninterrupted.Losses, interrupted.Losses.Concat(resumed.Losses));
        Assert.Equal(uninterrupted.Steps.Select(s => s.LearningRate), interrupted.Steps.Concat(resumed.Steps).Select(s => s.LearningRate));
        Assert.Equal(uninterrupted.Evaluations.Select(e => e.Loss), interrupted.Evaluations.Concat(resumed.Evaluations).Select(e => e.Loss));
        Assert.Equal(uninterrupted.BestEvaluation!.Step, resumed.BestEvaluation!.Step);
    }

    [Fact]
    public void TwoRunsWithOneSeedGiveTheSameLossesAndAnotherSeedDoesNot()
    {
        using var dir = new TempFolder();
        var data = TrainingFixture.LanguageModelData(dir, out _);
        IReadOnlyList<double> Run(int seed, string name)
        {
            var model = TrainingFixture.LanguageModel(dropout: 0.3);
            var options = TrainingFixture.LanguageModelOptions(Path.Combine(dir.Path, name)) with { MaxSteps = 6, Seed = seed, EvalEvery = 0 };
            using var trainer = new Trainer(model, data, options, new TrainableParameterStore(model));
            return trainer.Train().Losses;
        }
        var a = Run(1, "a");
        var b = Run(1, "b");
        var c = Run(2, "c");
        Assert.Equal(6, a.Count);
        Assert.Equal(a, b);
        Assert.NotEqual(a, c);
    }

    [Fact]
    public void DivergenceStopsAndKeepsTheLastGoodCheckpoint()
    {
        using var dir = new TempFolder();
        var data = TrainingFixture.LanguageModelData(dir, out _);
        var model = TrainingFixture.LanguageModel();
        model.PoisonFromCall = 5;
        var options = TrainingFixture.LanguageModelOptions(Path.Combine(dir.Path, "nan")) with
        {
            GradientAccumulationSteps = 1, EvalEvery = 0, SaveEvery = 2,
        };
        using var trainer = new Trainer(model, data, options, new TrainableParameterStore(model));
        var result = trainer.Train();

        Assert.Equal(TrainingStatus.Diverged, result.Status);
        Assert.Equal(4, result.FinalStep);
        Assert.Contains("step 5", result.Message);
        Assert.Contains("NaN", result.Message);
        var last = Path.Combine(options.OutputDirectory, Trainer.LastCheckpointName);
        Assert.Equal(last, result.LastCheckpoint);
        Assert.Equal(4, TrainingCheckpoint.ReadState(last).GlobalStep);
        Assert.True(File.Exists(Path.Combine(last, TrainableParameterStore.File)));
        Assert.All(result.Losses, l => Assert.True(double.IsFinite(l)));
    }

    [Fact]
    public void AccumulatingTwoBatchesOfTwoEqualsOneBatchOfFour()
    {
        using var dir = new TempFolder();
        var data = TrainingFixture.ClassificationData(dir);
        torch.manual_seed(5);
        var model = new TinyClassifier(labels: 2);
        using var trainer = new Trainer(model, data, new TrainingOptions { OutputDirectory = dir.Path }, new TrainableParameterStore(model));
        var examples = data.Train.Take(4).ToList();
        List<Tensor> Gradients() => [.. trainer.TrainableParameters.Select(p => { using var g = p.grad!; return g.clone(); })];

        using var four = BatchCollator.Collate(examples, DataTask.Classification, data.PadId);
        var lossFour = trainer.AccumulateGradients([four]);
        var gradFour = Gradients();

        using var half1 = BatchCollator.Collate(examples[..2], DataTask.Classification, data.PadId);
        using var half2 = BatchCollator.Collate(examples[2..], DataTask.Classification, data.PadId);
        var lossTwo = trainer.AccumulateGradients([half1, half2]);
        var gradTwo = Gradients();

        Assert.Equal(lossFour, lossTwo, 5);
        for (var i = 0; i < gradFour.Count; i++)
        {
            Assert.True(gradFour[i].abs().sum().item<float>() > 0, "gradient is zero: the test would prove nothing");
            Assert.True(gradFour[i].allclose(gradTwo[i], rtol: 0, atol: 1e-5), $"parameter {i} differs");
        }
    }

    [Fact]
    public void ClippingBoundsTheGlobalGradientNorm()
    {
        using var dir = new TempFolder();
        var data = TrainingFixture.ClassificationData(dir);
        torch.manual_seed(5);
        var model = new TinyClassifier(labels: 2);
        using var trainer = new Trainer(model, data, new TrainingOptions { OutputDirectory = dir.Path, MaxGradNorm = 1e-3 }, new TrainableParameterStore(model));
        using var batch = BatchCollator.Collate(data.Train.Take(4).ToList(), DataTask.Classification, data.PadId);
        trainer.AccumulateGradients([batch]);
        var before = trainer.ClipGradients();
        var after = Math.Sqrt(trainer.TrainableParameters.Sum(p => { using var g = p.grad!; return g.pow(2).sum().item<float>(); }));
        Assert.True(before > 1e-3, $"norm {before} was already below the limit");
        Assert.InRange(after, 0, 1e-3 * 1.001);
    }

    [Fact]
    public void LiveTensorCountStaysFlatOverALongRun()
    {
        using var dir = new TempFolder();
        var data = TrainingFixture.LanguageModelData(dir, out _);
        var model = TrainingFixture.LanguageModel();
        var options = TrainingFixture.LanguageModelOptions(Path.Combine(dir.Path, "mem")) with
        {
            GradientAccumulationSteps = 1, Epochs = 10, MaxSteps = 40, EvalEvery = 10, SaveEvery = 15,
        };
        var counts = new LiveTensorCounter();
        using var trainer = new Trainer(model, data, options, new TrainableParameterStore(model), [counts]);
        trainer.Train();
        Assert.Equal(40, counts.ByStep.Count);
        Assert.Equal(counts.ByStep[5], counts.ByStep[39]);
    }

    [Fact]
    public void InstructionDataTrainsEndToEnd()
    {
        using var dir = new TempFolder();
        var lines = Enumerable.Range(0, 10).Select(i => $"{{\"instruction\":\"Echo {i}\",\"output\":\"{i}{i}\"}}");
        var file = dir.Write("alpaca.jsonl", string.Join('\n', lines));
        var data = DatasetBuilder.Build(new DataOptions { Files = [file], Task = DataTask.InstructionTuning, ValidationFraction = 0.2, MaxTokens = 64 },
            TrainingFixture.Tokenizer);
        var model = TrainingFixture.LanguageModel();
        var options = TrainingFixture.LanguageModelOptions(Path.Combine(dir.Path, "sft")) with { MaxSteps = 4, EvalEvery = 2, GradientAccumulationSteps = 1 };
        using var trainer = new Trainer(model, data, options, new TrainableParameterStore(model));
        var result = trainer.Train();
        Assert.Equal(TrainingStatus.Completed, result.Status);
        Assert.Equal(4, result.FinalStep);
        Assert.All(result.Evaluations, e => Assert.Equal(Math.Exp(e.Loss), e.Perplexity!.Value, 9));
    }

    [Fact]
    public void ResumingWithAnotherSeedIsRefused()
    {
        using var dir = new TempFolder();
        var data = TrainingFixture.LanguageModelData(dir, out _);
        var options = TrainingFixture.LanguageModelOptions(Path.Combine(dir.Path, "seed")) with { MaxSteps = 2, EvalEvery = 0 };
        var model = TrainingFixture.LanguageModel();
        using (var trainer = new Trainer(model, data, options, new TrainableParameterStore(model))) trainer.Train();
        using var other = new Trainer(model, data, options with { Seed = options.Seed + 1 }, new TrainableParameterStore(model));
        var e = Assert.Throws<TrainingCheckpointException>(() => other.Train(Path.Combine(options.OutputDirectory, Trainer.LastCheckpointName)));
        Assert.Contains("seed", e.Message);
    }

    sealed class LiveTensorCounter : ITrainingObserver
    {
        public Dictionary<int, long> ByStep { get; } = [];
        public void OnStep(StepMetrics metrics) => ByStep[metrics.Step] = DisposeScopeManager.Statistics.ThreadTotalLiveCount;
    }
}
