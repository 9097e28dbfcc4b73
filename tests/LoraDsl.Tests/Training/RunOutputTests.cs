using System.Security.Cryptography;
using System.Text;
using System.Text.Json.Nodes;
using LoraDsl.Lora;
using LoraDsl.Tests.Data;
using LoraDsl.Training;
using Spectre.Console;
using TorchSharp;
using Xunit;

namespace LoraDsl.Tests.Training;

[Collection(TorchRandomCollection.Name)]
public class RunOutputTests
{
    [Fact]
    public void ClassificationRunWritesMetricsCurveRunJsonAndSummary()
    {
        using var dir = new TempFolder();
        var data = TrainingFixture.ClassificationData(dir);
        var repo = Path.Combine(dir.Path, "repo");
        Directory.CreateDirectory(Path.Combine(repo, ".git", "refs", "heads"));
        File.WriteAllText(Path.Combine(repo, ".git", "HEAD"), "ref: refs/heads/main\n");
        File.WriteAllText(Path.Combine(repo, ".git", "refs", "heads", "main"), "0123456789abcdef0123456789abcdef01234567\n");
        var baseModel = Path.Combine(dir.Path, "base");
        Directory.CreateDirectory(baseModel);
        File.WriteAllText(Path.Combine(baseModel, "config.json"), "{\"model_type\":\"tiny\"}");
        File.WriteAllBytes(Path.Combine(baseModel, "model.safetensors"), new byte[123]);

        torch.manual_seed(2);
        var model = new TinyClassifier(labels: 2, dropoutRate: 0.1);
        var options = new TrainingOptions
        {
            LearningRate = 0.05, Epochs = 4, BatchSize = 6, EvalEvery = 4, LogEvery = 2, Decay = LearningRateDecay.Linear,
            OutputDirectory = Path.Combine(dir.Path, "out"),
        };
        var console = new StringWriter();
        var ansi = AnsiConsole.Create(new AnsiConsoleSettings
        {
            Ansi = AnsiSupport.No, ColorSystem = ColorSystemSupport.NoColors, Interactive = InteractionSupport.No,
            Out = new AnsiConsoleOutput(console),
        });
        using var reporter = new ConsoleTrainingReporter(ansi, live: false, logEvery: options.LogEvery);
        const string recipe = "class Sentiment : Recipe { }";
        var description = new RunDescription
        {
            RecipeName = "Sentiment", RecipeSource = recipe, GeneratorVersion = "9.9.9",
            Data = new LoraDsl.Data.DataOptions { Files = data.Files }, Lora = new LoraOptions { Rank = 4 },
            BaseModelDirectory = baseModel, WorkingDirectory = repo,
        };
        using var trainer = new Trainer(model, data, options, new TrainableParameterStore(model), [reporter], description);
        var result = trainer.Train();

        Assert.Equal(TrainingStatus.Completed, result.Status);
        Assert.True(result.Losses[^1] < result.Losses[0], "loss did not fall");
        var final = result.Evaluations[^1];
        Assert.NotNull(final.Accuracy);
        Assert.Equal(["neg", "pos"], final.Classes.Select(c => c.Label));
        Assert.Equal(data.Validation.Count, final.Classes.Sum(c => c.Support));

        var output = options.OutputDirectory;
        var jsonl = File.ReadAllLines(Path.Combine(output, MetricsFileWriter.JsonLinesFile));
        Assert.Equal(result.Steps.Count + result.Evaluations.Count, jsonl.Length);
        Assert.Equal(result.Losses[0], JsonNode.Parse(jsonl[0])!["loss"]!.GetValue<double>());
        Assert.Contains(jsonl, l => JsonNode.Parse(l)!["kind"]!.GetValue<string>() == "eval" && JsonNode.Parse(l)!["accuracy"] is not null);
        var csv = File.ReadAllLines(Path.Combine(output, MetricsFileWriter.CsvFile));
        Assert.StartsWith("kind,step,epoch,loss", csv[0]);
        Assert.Equal(jsonl.Length + 1, csv.Length);

        var png = File.ReadAllBytes(Path.Combine(output, Trainer.CurveFile));
        Assert.True(png.Length > 1000);
        Assert.Equal(new byte[] { 0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A }, png[..8]);

        var run = JsonNode.Parse(File.ReadAllText(Path.Combine(output, Trainer.RunFile)))!;
        Assert.Equal("Sentiment", run["recipe"]!["name"]!.GetValue<string>());
        Assert.Equal(Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(recipe))), run["recipe"]!["source_sha256"]!.GetValue<string>());
        Assert.Equal("9.9.9", run["generator_version"]!.GetValue<string>());
        Assert.False(string.IsNullOrEmpty(run["packages"]!["TorchSharp"]!.GetValue<string>()));
        Assert.StartsWith("2.", run["packages"]!["libtorch"]!.GetValue<string>());
        Assert.False(string.IsNullOrEmpty(run["packages"]!["LoraDsl"]!.GetValue<string>()));
        Assert.Equal(42, run["seed"]!.GetValue<int>());
        Assert.Equal(0.05, run["training"]!["learning_rate"]!.GetValue<double>());
        Assert.Equal(4, run["lora"]!["rank"]!.GetValue<int>());
        Assert.Equal(RunManifest.FileSha256(data.Files[0]), run["data_files"]![0]!["sha256"]!.GetValue<string>());
        Assert.Equal(RunManifest.FileSha256(Path.Combine(baseModel, "config.json")), run["base_model"]!["config_sha256"]!.GetValue<string>());
        Assert.Equal(123, run["base_model"]!["weights"]![0]!["bytes"]!.GetValue<long>());
        Assert.Equal("0123456789abcdef0123456789abcdef01234567", run["git"]!["commit"]!.GetValue<string>());
        Assert.Equal("main", run["git"]!["branch"]!.GetValue<string>());
        Assert.Equal("cpu", run["device"]!.GetValue<string>().ToLowerInvariant());

        Assert.True(Directory.Exists(Path.Combine(output, Trainer.BestCheckpointName)));
        Assert.True(File.Exists(Path.Combine(output, Trainer.LastCheckpointName, TrainingCheckpoint.StateFile)));

        var text = console.ToString();
        Assert.Contains($"step 2/{result.FinalStep}", text);
        Assert.DoesNotContain($"step 1/{result.FinalStep}", text);
        Assert.Contains("eval @ step 4", text);
        Assert.Contains("Run summary", text);
        Assert.Contains("Per class", text);
    }
}
