using System.Text.Json.Nodes;
using LoraDsl.Outputs;
using LoraDsl.Tests.Data;
using LoraDsl.Tests.Training;
using LoraDsl.Training;
using Xunit;

namespace LoraDsl.Tests.Outputs;

/// <summary>A run starts only in a new/empty folder, resumes only in its own, and overwrite replaces only a LoraDsl run.</summary>
[Collection(TorchRandomCollection.Name)]
public class RunFolderTests
{
    [Fact]
    public void A_second_run_into_a_run_folder_is_refused_and_leaves_the_first_runs_files_alone()
    {
        using var dir = new TempFolder();
        var data = TrainingFixture.LanguageModelData(dir, out _);
        var options = TrainingFixture.LanguageModelOptions(Path.Combine(dir.Path, "run")) with { MaxSteps = 2 };
        var model = TrainingFixture.LanguageModel();
        using (var trainer = new Trainer(model, data, options, new TrainableParameterStore(model))) trainer.Train();
        var metrics = Path.Combine(options.OutputDirectory, MetricsFileWriter.JsonLinesFile);
        var before = File.ReadAllText(metrics);

        var other = TrainingFixture.LanguageModel();
        using var second = new Trainer(other, data, options with { MaxSteps = 3 }, new TrainableParameterStore(other));
        var e = Assert.Throws<OutputFolderException>(() => second.Train());
        Assert.Contains(options.OutputDirectory, e.Message);
        Assert.Contains("--resume", e.Message);
        Assert.Contains("--overwrite", e.Message);
        Assert.Equal(before, File.ReadAllText(metrics));

        var replaced = second.Train(overwrite: true);
        Assert.Equal(3, replaced.FinalStep);
        var steps = File.ReadAllLines(metrics).Select(l => JsonNode.Parse(l)!).Where(n => n["kind"]!.GetValue<string>() == "train").Select(n => n["step"]!.GetValue<int>());
        Assert.Equal([1, 2, 3], steps);
    }

    [Fact]
    public void A_folder_of_user_files_is_never_used_or_deleted_even_with_overwrite()
    {
        using var dir = new TempFolder();
        var user = Path.Combine(dir.Path, "thesis");
        Directory.CreateDirectory(user);
        File.WriteAllText(Path.Combine(user, "chapter1.tex"), "precious");
        foreach (var overwrite in new[] { false, true })
        {
            var e = Assert.Throws<OutputFolderException>(() => RunFolder.Prepare(user, overwrite: overwrite));
            Assert.Contains("not a LoraDsl run", e.Message);
        }
        Assert.Throws<OutputFolderException>(() => RunFolder.Prepare(user, resumeFrom: Path.Combine(user, Trainer.LastCheckpointName)));
        Assert.Equal("precious", File.ReadAllText(Path.Combine(user, "chapter1.tex")));
        Assert.Single(Directory.GetFileSystemEntries(user));
        Assert.Single(Directory.GetFileSystemEntries(dir.Path));
    }

    [Fact]
    public void Resuming_another_runs_checkpoint_into_a_run_folder_is_refused()
    {
        using var dir = new TempFolder();
        var a = RunFolder.Prepare(Path.Combine(dir.Path, "a"));
        var b = RunFolder.Prepare(Path.Combine(dir.Path, "b"));
        File.WriteAllText(Path.Combine(b, "metrics.jsonl"), "{\"kind\":\"train\",\"step\":1}\n");
        var e = Assert.Throws<OutputFolderException>(() => RunFolder.Prepare(b, resumeFrom: Path.Combine(a, Trainer.LastCheckpointName)));
        Assert.Contains("mix two runs", e.Message);
    }

    [Fact]
    public void Resume_after_a_kill_cuts_metrics_back_to_the_checkpoint_step_and_cleans_stale_temp_folders()
    {
        using var dir = new TempFolder();
        var data = TrainingFixture.LanguageModelData(dir, out _);
        var options = TrainingFixture.LanguageModelOptions(Path.Combine(dir.Path, "run")) with { MaxSteps = 8, EvalEvery = 0 };
        using var cancel = new CancellationTokenSource();
        var first = TrainingFixture.LanguageModel();
        using (var trainer = new Trainer(first, data, options, new TrainableParameterStore(first), [new CancelAfterStep(4, cancel)]))
            Assert.Equal(TrainingStatus.Cancelled, trainer.Train(cancellation: cancel.Token).Status);

        // What a kill -9 at step 6 leaves: lines of steps past the checkpoint, a half line, a half-written
        // checkpoint and a previous checkpoint-last set aside by a swap that never finished.
        var output = options.OutputDirectory;
        File.AppendAllText(Path.Combine(output, MetricsFileWriter.JsonLinesFile),
            "{\"kind\":\"train\",\"step\":5,\"loss\":9}\n{\"kind\":\"train\",\"step\":6,\"loss\":9}\n{\"kind\":\"tra");
        File.AppendAllText(Path.Combine(output, MetricsFileWriter.CsvFile), "train,5,1,9,0,0,0,,\ntrain,6,1,9,0,0,0,,\ntrain,7,1");
        var tmp = Path.Combine(output, $".checkpoint-last.{Guid.NewGuid():N}.tmp");
        var old = Path.Combine(output, $".checkpoint-last.{Guid.NewGuid():N}.old");
        Directory.CreateDirectory(tmp);
        File.WriteAllText(Path.Combine(tmp, "optimizer.bin"), "half");
        Directory.CreateDirectory(old);
        var userFile = Path.Combine(output, "notes.txt");
        File.WriteAllText(userFile, "mine");

        var second = TrainingFixture.LanguageModel();
        using (var trainer = new Trainer(second, data, options, new TrainableParameterStore(second)))
            Assert.Equal(TrainingStatus.Completed, trainer.Train(Path.Combine(output, Trainer.LastCheckpointName)).Status);

        var lines = File.ReadAllLines(Path.Combine(output, MetricsFileWriter.JsonLinesFile)).Select(l => JsonNode.Parse(l)!).ToList();
        var trainSteps = lines.Where(n => n["kind"]!.GetValue<string>() == "train").Select(n => n["step"]!.GetValue<int>());
        Assert.Equal(Enumerable.Range(1, 8), trainSteps);
        Assert.DoesNotContain(lines, n => n["loss"]?.GetValue<double>() == 9);
        var csv = File.ReadAllLines(Path.Combine(output, MetricsFileWriter.CsvFile));
        Assert.Single(csv, l => l.StartsWith("kind,", StringComparison.Ordinal));
        Assert.Equal(Enumerable.Range(1, 8).Select(i => i.ToString()), csv.Where(l => l.StartsWith("train,", StringComparison.Ordinal)).Select(l => l.Split(',')[1]));
        Assert.False(Directory.Exists(tmp));
        Assert.False(Directory.Exists(old));
        Assert.Equal("mine", File.ReadAllText(userFile));
    }

    [Fact]
    public void A_checkpoint_left_aside_without_its_replacement_is_restored_not_deleted()
    {
        using var dir = new TempFolder();
        var run = RunFolder.Prepare(Path.Combine(dir.Path, "run"));
        var aside = Path.Combine(run, $".checkpoint-best.{Guid.NewGuid():N}.old");
        Directory.CreateDirectory(aside);
        File.WriteAllText(Path.Combine(aside, "adapter_model.safetensors"), "weights");
        RunFolder.CleanLeftovers(run);
        Assert.Equal("weights", File.ReadAllText(Path.Combine(run, "checkpoint-best", "adapter_model.safetensors")));
        Assert.False(Directory.Exists(aside));
    }
}
