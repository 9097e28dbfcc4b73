using System.Security.Cryptography;
using System.Text;
using System.Text.Json.Nodes;
using LlamaInstruct;
using LoraDsl.Recipes;
using LoraDsl.Tests.Examples;
using LoraDsl.Tests.TestCheckpoints;
using LoraDsl.Training;
using Spectre.Console;
using TorchSharp;
using Xunit;
using static LoraDsl.Tests.Examples.RecipeRuns;

namespace LoraDsl.Tests.Training;

/// <summary>
/// The training loop as the generator emits it, run through a real generated recipe (the llama-instruct example,
/// gradient accumulation 2) on a tiny LLaMA checkpoint: exact resume, determinism, the NaN stop, flat memory,
/// metrics files, plot, run.json and the console report.
/// </summary>
[Collection(TorchRandomCollection.Name)]
public class GeneratedLoopTests
{
    static readonly Lazy<string> Checkpoint = new(() => TinyLlama.Write(TinyCheckpoints.NewFolder("loop-llama")));

    static RecipeReport Run(string output, IEnumerable<ITrainingObserver>? observers = null, CancellationToken cancel = default,
        string? resume = null, params KeyValuePair<string, string>[] overrides)
    {
        var context = Quiet([Set("model.path", Checkpoint.Value), Set("training.output_dir", output), Set("data.max_records", "48"),
            Set("training.eval_every", "3"), Set("training.lr", "5e-3"), Set("training.epochs", "3"), .. overrides]) with
        {
            Observers = [.. observers ?? []], Cancellation = cancel, ResumeFrom = resume,
        };
        return InstructRecipe.Run(context);
    }

    [Fact]
    public void A_resumed_run_gives_exactly_the_losses_of_an_uninterrupted_one()
    {
        var root = TinyCheckpoints.NewFolder("loop-resume");
        var full = Run(Path.Combine(root, "full"), overrides: Set("training.max_steps", "8")).Training;
        Assert.Equal(TrainingStatus.Completed, full.Status);
        Assert.Equal(8, full.FinalStep);

        var split = Path.Combine(root, "split");
        using var cancel = new CancellationTokenSource();
        var first = Run(split, [new CancelAfterStep(5, cancel)], cancel.Token, overrides: Set("training.max_steps", "8")).Training;
        Assert.Equal(TrainingStatus.Cancelled, first.Status);
        Assert.Equal(5, first.FinalStep);
        Assert.Contains("resume from", first.Message);

        torch.manual_seed(999); // a fresh process: the trainable weights must come from the checkpoint
        var second = Run(split, resume: Path.Combine(split, TrainingCheckpoint.LastName), overrides: Set("training.max_steps", "8")).Training;
        Assert.Equal(TrainingStatus.Completed, second.Status);
        Assert.Equal(5, second.StartStep);

        Assert.Equal(full.Losses, first.Losses.Concat(second.Losses));
        Assert.Equal(full.Steps.Select(s => s.LearningRate), first.Steps.Concat(second.Steps).Select(s => s.LearningRate));
        Assert.Equal(full.Evaluations.Select(e => e.Loss), first.Evaluations.Concat(second.Evaluations).Select(e => e.Loss));
        Assert.Equal(full.BestEvaluation!.Step, second.BestEvaluation!.Step);
    }

    [Fact]
    public void Two_runs_with_one_seed_give_the_same_losses_and_another_seed_does_not()
    {
        var root = TinyCheckpoints.NewFolder("loop-seed");
        IReadOnlyList<double> Losses(string seed, string name) =>
            Run(Path.Combine(root, name), overrides: [Set("training.max_steps", "4"), Set("training.seed", seed), Set("lora.dropout", "0.3")]).Training.Losses;
        var a = Losses("1", "a");
        Assert.Equal(4, a.Count);
        Assert.Equal(a, Losses("1", "b"));
        Assert.NotEqual(a, Losses("2", "c"));
    }

    [Fact]
    public void A_diverging_run_stops_without_an_update_and_keeps_the_last_good_checkpoint()
    {
        var output = TinyCheckpoints.NewFolder("loop-nan");
        var result = Run(output, overrides: [Set("training.lr", "1e30"), Set("training.max_grad_norm", "none"), Set("training.warmup_steps", "0"),
            Set("training.save_every", "1"), Set("training.max_steps", "8"), Set("training.eval_every", "0")]).Training;

        Assert.Equal(TrainingStatus.Diverged, result.Status);
        Assert.InRange(result.FinalStep, 1, 7);
        Assert.Contains($"step {result.FinalStep + 1}", result.Message);
        Assert.Contains("no update was applied", result.Message);
        var last = Path.Combine(output, TrainingCheckpoint.LastName);
        Assert.Equal(last, result.LastCheckpoint);
        Assert.Equal(result.FinalStep, TrainingCheckpoint.ReadState(last).GlobalStep);
        Assert.All(result.Losses, l => Assert.True(double.IsFinite(l)));
        Assert.False(Directory.Exists(Path.Combine(output, RunFolder.AdapterName)), "a diverged run must not write a final adapter");
    }

    [Fact]
    public void Resuming_with_another_seed_is_refused()
    {
        var output = TinyCheckpoints.NewFolder("loop-reseed");
        Run(output, overrides: Set("training.max_steps", "2"));
        var e = Assert.Throws<TrainingCheckpointException>(() =>
            Run(output, resume: Path.Combine(output, TrainingCheckpoint.LastName), overrides: [Set("training.max_steps", "4"), Set("training.seed", "43")]));
        Assert.Contains("seed", e.Message);
    }

    [Fact]
    public void Live_tensor_count_stays_flat_over_a_long_run()
    {
        var counts = new LiveTensorCounter();
        Run(TinyCheckpoints.NewFolder("loop-mem"), [counts], overrides: [Set("training.max_steps", "20"), Set("training.epochs", "10"),
            Set("training.eval_every", "10"), Set("training.save_every", "7")]);
        Assert.Equal(20, counts.ByStep.Count);
        Assert.Equal(counts.ByStep[5], counts.ByStep[19]);
    }

    [Fact]
    public void A_run_writes_metrics_curve_run_json_and_a_console_summary()
    {
        var output = TinyCheckpoints.NewFolder("loop-out");
        var console = new StringWriter();
        var ansi = AnsiConsole.Create(new AnsiConsoleSettings
        {
            Ansi = AnsiSupport.No, ColorSystem = ColorSystemSupport.NoColors, Interactive = InteractionSupport.No, Out = new AnsiConsoleOutput(console),
        });
        var reporter = new ConsoleTrainingReporter(ansi, live: false, logEvery: 2);
        var report = Run(output, [reporter], overrides: [Set("training.max_steps", "6"), Set("lora.r", "4")]);
        var result = report.Training;

        Assert.Equal(TrainingStatus.Completed, result.Status);
        Assert.All(result.Evaluations, e => Assert.Equal(Math.Exp(e.Loss), e.Perplexity!.Value, 9));
        var jsonl = File.ReadAllLines(Path.Combine(output, MetricsFileWriter.JsonLinesFile));
        Assert.Equal(result.Steps.Count + result.Evaluations.Count, jsonl.Length);
        Assert.Equal(result.Losses[0], JsonNode.Parse(jsonl[0])!["loss"]!.GetValue<double>());
        var csv = File.ReadAllLines(Path.Combine(output, MetricsFileWriter.CsvFile));
        Assert.StartsWith("kind,step,epoch,loss", csv[0]);
        Assert.Equal(jsonl.Length + 1, csv.Length);
        var png = File.ReadAllBytes(Path.Combine(output, TrainingCheckpoint.CurveFile));
        Assert.Equal(new byte[] { 0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A }, png[..8]);
        Assert.True(Directory.Exists(Path.Combine(output, TrainingCheckpoint.BestName)));
        Assert.True(File.Exists(Path.Combine(output, TrainingCheckpoint.LastName, TrainingCheckpoint.StateFile)));

        var run = JsonNode.Parse(File.ReadAllText(Path.Combine(output, RunManifest.FileName)))!;
        Assert.Equal("llama-instruct", run["recipe"]!["name"]!.GetValue<string>());
        var source = File.ReadAllText(Path.Combine(RepositoryRoot(), "examples", "LlamaInstruct", "InstructRecipe.cs"));
        Assert.Equal(Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(source))), run["recipe"]!["source_sha256"]!.GetValue<string>());
        Assert.False(string.IsNullOrEmpty(run["generator_version"]!.GetValue<string>()));
        Assert.Equal("4", run["settings"]!["lora.r"]!.GetValue<string>());
        Assert.Equal("6", run["settings"]!["training.max_steps"]!.GetValue<string>());
        Assert.Contains(run["overrides"]!.AsArray(), o => o!["key"]!.GetValue<string>() == "lora.r" && o["value"]!.GetValue<string>() == "4");
        Assert.Equal(report.Targets.Count, run["targets"]!.AsArray().Count);
        Assert.Contains(run["targets"]!.AsArray(), t => t!["path"]!.GetValue<string>() == "model.layers.0.self_attn.q_proj");
        Assert.Equal(42, run["seed"]!.GetValue<int>());
        Assert.StartsWith("2.", run["packages"]!["libtorch"]!.GetValue<string>());
        Assert.Equal("cpu", run["device"]!.GetValue<string>().ToLowerInvariant());

        var text = console.ToString();
        Assert.Contains($"step 2/{result.FinalStep}", text);
        Assert.DoesNotContain($"step 1/{result.FinalStep}", text);
        Assert.Contains("eval @ step 3", text);
        Assert.Contains("Run summary", text);
    }

    internal static string RepositoryRoot()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
            if (File.Exists(Path.Combine(dir.FullName, "LoraDsl.sln"))) return dir.FullName;
        throw new InvalidOperationException("LoraDsl.sln not found above the test binaries.");
    }

    sealed class LiveTensorCounter : ITrainingObserver
    {
        public Dictionary<int, long> ByStep { get; } = [];

        public void OnStep(StepMetrics metrics) => ByStep[metrics.Step] = DisposeScopeManager.Statistics.ThreadTotalLiveCount;
    }
}
