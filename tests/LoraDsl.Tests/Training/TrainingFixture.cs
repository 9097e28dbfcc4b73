using System.Text;
using LoraDsl.Data;
using LoraDsl.Tests.Data;
using LoraDsl.Training;
using TorchSharp;

namespace LoraDsl.Tests.Training;

/// <summary>Small data sets and models for trainer tests.</summary>
static class TrainingFixture
{
    public static readonly ByteTokenizer Tokenizer = new();

    /// <summary>Plain-text documents packed into 16-token blocks (about 30 blocks).</summary>
    public static PreparedDataset LanguageModelData(TempFolder dir, out string file)
    {
        var text = new StringBuilder();
        for (var i = 0; i < 14; i++) text.Append($"the cat {i} sat on mat {i * 7 % 5}\n\n");
        file = dir.Write("corpus.txt", text.ToString());
        return DatasetBuilder.Build(new DataOptions
        {
            Files = [file], Task = DataTask.CausalLanguageModeling, MaxTokens = 16, ValidationFraction = 0.15, Seed = 3,
        }, Tokenizer);
    }

    /// <summary>Two classes told apart by their words.</summary>
    public static PreparedDataset ClassificationData(TempFolder dir)
    {
        var lines = Enumerable.Range(0, 24).Select(i => i % 2 == 0
            ? $"{{\"text\":\"good fine great {i}\",\"label\":\"pos\"}}"
            : $"{{\"text\":\"bad awful poor {i}\",\"label\":\"neg\"}}");
        var file = dir.Write("cls.jsonl", string.Join('\n', lines));
        return DatasetBuilder.Build(new DataOptions { Files = [file], ValidationFraction = 0.25, MaxTokens = 32 }, Tokenizer);
    }

    public static TinyCausalLm LanguageModel(double dropout = 0.1)
    {
        torch.manual_seed(123);
        return new TinyCausalLm(dropoutRate: dropout);
    }

    public static TrainingOptions LanguageModelOptions(string output) => new()
    {
        LearningRate = 5e-2, WeightDecay = 0.01, WarmupSteps = 2, Decay = LearningRateDecay.Cosine, Epochs = 3,
        BatchSize = 4, GradientAccumulationSteps = 2, MaxGradNorm = 1.0, EvalEvery = 3, Seed = 11, OutputDirectory = output,
    };
}

/// <summary>Cancels a run after a given step, like a user pressing Ctrl+C.</summary>
sealed class CancelAfterStep(int step, CancellationTokenSource source) : ITrainingObserver
{
    public void OnStep(StepMetrics metrics)
    {
        if (metrics.Step == step) source.Cancel();
    }
}
