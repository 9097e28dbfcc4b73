using System.Text.Json.Nodes;
using LlamaInstruct;
using LoraDsl.Outputs;
using LoraDsl.Recipes;
using LoraDsl.Tests.TestCheckpoints;
using LoraDsl.Tests.Training;
using LoraDsl.Training;
using Xunit;
using static LoraDsl.Tests.Examples.RecipeRuns;

namespace LoraDsl.Tests.Outputs;

/// <summary>A run starts only in a new/empty folder, resumes only in its own, and overwrite replaces only a LoraDsl run.</summary>
[Collection(TorchRandomCollection.Name)]
public class RunFolderTests
{
    static readonly Lazy<string> Checkpoint = new(() => TinyLlama.Write(TinyCheckpoints.NewFolder("runfolder-llama")));

    static RecipeReport Run(string output, string maxSteps, bool overwrite = false, string? resume = null, CancelAfterStep? cancelAt = null, CancellationToken cancel = default) =>
        InstructRecipe.Run(Quiet(Set("model.path", Checkpoint.Value), Set("training.output_dir", output), Set("data.max_records", "48"),
            Set("training.eval_every", "0"), Set("training.max_steps", maxSteps)) with
        {
            Overwrite = overwrite, ResumeFrom = resume, Cancellation = cancel, Observers = cancelAt is null ? [] : [cancelAt], EvaluateBeforeTraining = false,
        });

    static int[] TrainSteps(string output) =>
        [.. File.ReadAllLines(Path.Combine(output, MetricsFileWriter.JsonLinesFile)).Select(l => JsonNode.Parse(l)!)
            .Where(n => n["kind"]!.GetValue<string>() == "train").Select(n => n["step"]!.GetValue<int>())];

    [Fact]
    public void A_second_run_into_a_run_folder_is_refused_and_leaves_the_first_runs_files_alone()
    {
        var output = Path.Combine(TinyCheckpoints.NewFolder("runfolder-second"), "run");
        Run(output, "2");
        var metrics = Path.Combine(output, MetricsFileWriter.JsonLinesFile);
        var before = File.ReadAllText(metrics);

        var e = Assert.Throws<OutputFolderException>(() => Run(output, "3"));
        Assert.Contains(output, e.Message);
        Assert.Contains("--resume", e.Message);
        Assert.Contains("--overwrite", e.Message);
        Assert.Equal(before, File.ReadAllText(metrics));

        Assert.Equal(3, Run(output, "3", overwrite: true).Training.FinalStep);
        Assert.Equal([1, 2, 3], TrainSteps(output));
    }

    [Fact]
    public void A_folder_of_user_files_is_never_used_or_deleted_even_with_overwrite()
    {
        var dir = TinyCheckpoints.NewFolder("runfolder-user");
        var user = Path.Combine(dir, "thesis");
        Directory.CreateDirectory(user);
        File.WriteAllText(Path.Combine(user, "chapter1.tex"), "precious");
        foreach (var overwrite in new[] { false, true })
        {
            var e = Assert.Throws<OutputFolderException>(() => RunFolder.Prepare(user, null, overwrite));
            Assert.Contains("not a LoraDsl run", e.Message);
        }
        Assert.Throws<OutputFolderException>(() => RunFolder.Prepare(user, Path.Combine(user, TrainingCheckpoint.LastName)));
        Assert.Equal("precious", File.ReadAllText(Path.Combine(user, "chapter1.tex")));
        Assert.Single(Directory.GetFileSystemEntries(user));
        Assert.Single(Directory.GetFileSystemEntries(dir));
    }

    [Fact]
    public void Resuming_another_runs_checkpoint_into_a_run_folder_is_refused()
    {
        var dir = TinyCheckpoints.NewFolder("runfolder-mix");
        var a = RunFolder.Prepare(Path.Combine(dir, "a"), null);
        var b = RunFolder.Prepare(Path.Combine(dir, "b"), null);
        File.WriteAllText(Path.Combine(b, MetricsFileWriter.JsonLinesFile), "{\"kind\":\"train\",\"step\":1}\n");
        var e = Assert.Throws<OutputFolderException>(() => RunFolder.Prepare(b, Path.Combine(a, TrainingCheckpoint.LastName)));
        Assert.Contains("mix two runs", e.Message);
    }

    [Fact]
    public void Resume_after_a_kill_cuts_metrics_back_to_the_checkpoint_step_and_cleans_stale_temp_folders()
    {
        var output = Path.Combine(TinyCheckpoints.NewFolder("runfolder-kill"), "run");
        using var cancel = new CancellationTokenSource();
        Assert.Equal(TrainingStatus.Cancelled, Run(output, "8", cancelAt: new CancelAfterStep(4, cancel), cancel: cancel.Token).Training.Status);

        // What a kill -9 at step 6 leaves: lines of steps past the checkpoint, a half line, a half-written
        // checkpoint and a previous checkpoint-last set aside by a swap that never finished.
        File.AppendAllText(Path.Combine(output, MetricsFileWriter.JsonLinesFile),
            "{\"kind\":\"train\",\"step\":5,\"loss\":9}\n{\"kind\":\"train\",\"step\":6,\"loss\":9}\n{\"kind\":\"tra");
        File.AppendAllText(Path.Combine(output, MetricsFileWriter.CsvFile), "train,5,1,9,0,0,0,,\ntrain,6,1,9,0,0,0,,\ntrain,7,1");
        var tmp = Path.Combine(output, $".checkpoint-last.{Guid.NewGuid():N}.tmp");
        var old = Path.Combine(output, $".checkpoint-last.{Guid.NewGuid():N}.old");
        Directory.CreateDirectory(tmp);
        File.WriteAllText(Path.Combine(tmp, TrainingCheckpoint.OptimizerFile), "half");
        Directory.CreateDirectory(old);
        var userFile = Path.Combine(output, "notes.txt");
        File.WriteAllText(userFile, "mine");

        var resumed = Run(output, "8", resume: Path.Combine(output, TrainingCheckpoint.LastName)).Training;
        Assert.Equal(TrainingStatus.Completed, resumed.Status);
        Assert.True(resumed.FinalStep > 5, $"the plan has only {resumed.FinalStep} steps");

        Assert.Equal(Enumerable.Range(1, resumed.FinalStep), TrainSteps(output));
        Assert.DoesNotContain(File.ReadAllLines(Path.Combine(output, MetricsFileWriter.JsonLinesFile)), l => l.Contains("\"loss\":9", StringComparison.Ordinal));
        var csv = File.ReadAllLines(Path.Combine(output, MetricsFileWriter.CsvFile));
        Assert.Single(csv, l => l.StartsWith("kind,", StringComparison.Ordinal));
        Assert.Equal(Enumerable.Range(1, resumed.FinalStep).Select(i => i.ToString()), csv.Where(l => l.StartsWith("train,", StringComparison.Ordinal)).Select(l => l.Split(',')[1]));
        Assert.False(Directory.Exists(tmp));
        Assert.False(Directory.Exists(old));
        Assert.Equal("mine", File.ReadAllText(userFile));
    }

    [Fact]
    public void A_checkpoint_left_aside_without_its_replacement_is_restored_not_deleted()
    {
        var run = RunFolder.Prepare(Path.Combine(TinyCheckpoints.NewFolder("runfolder-aside"), "run"), null);
        var aside = Path.Combine(run, $".checkpoint-best.{Guid.NewGuid():N}.old");
        Directory.CreateDirectory(aside);
        File.WriteAllText(Path.Combine(aside, "adapter_model.safetensors"), "weights");
        RunFolder.CleanLeftovers(run);
        Assert.Equal("weights", File.ReadAllText(Path.Combine(run, TrainingCheckpoint.BestName, "adapter_model.safetensors")));
        Assert.False(Directory.Exists(aside));
    }
    [Fact]
    public void A_folder_claimed_by_a_running_run_is_refused_and_one_whose_run_did_no_step_is_reused()
    {
        var output = Path.Combine(TinyCheckpoints.NewFolder("runfolder-claim"), "run");
        RunFolder.Prepare(output);
        RunFolderLock.Release(output);
        // Another process holding the folder's lock (an flock, as a live `train` does): a run started beside it is refused.
        using (new FileStream(Path.Combine(output, ".loradsl-run.lock"), FileMode.Open, FileAccess.ReadWrite, FileShare.None))
        {
            var e = Assert.Throws<OutputFolderException>(() => RunFolder.Prepare(output));
            Assert.Contains("in use by another LoraDsl run", e.Message);
        }

        // The run failed before step 1 (run.json and a step-0 evaluation written): rerunning the command is not refused.
        File.WriteAllText(Path.Combine(output, RunManifest.FileName), "{\"packages\":{\"LoraDsl\":\"1\"}}");
        File.WriteAllText(Path.Combine(output, MetricsFileWriter.JsonLinesFile), "{\"kind\":\"eval\",\"step\":0,\"loss\":3}\n");
        Assert.Equal(output, RunFolder.Prepare(output));
        Assert.False(File.Exists(Path.Combine(output, MetricsFileWriter.JsonLinesFile)));

        // One trained step makes it a run that only --resume or --overwrite may touch.
        File.WriteAllText(Path.Combine(output, MetricsFileWriter.JsonLinesFile), "{\"kind\":\"train\",\"step\":1,\"loss\":3}\n");
        Assert.Contains("--overwrite", Assert.Throws<OutputFolderException>(() => RunFolder.Prepare(output)).Message);
    }

    [Fact]
    public void Resuming_with_another_data_seed_is_refused_and_resuming_a_finished_run_says_it_is_complete()
    {
        var output = Path.Combine(TinyCheckpoints.NewFolder("runfolder-dataseed"), "run");
        Assert.Equal(TrainingStatus.Completed, Run(output, "2").Training.Status);
        var last = Path.Combine(output, TrainingCheckpoint.LastName);

        var e = Assert.Throws<TrainingCheckpointException>(() => InstructRecipe.Run(Quiet(Set("model.path", Checkpoint.Value), Set("training.output_dir", output),
            Set("data.max_records", "48"), Set("training.eval_every", "0"), Set("training.max_steps", "4"), Set("data.seed", "7")) with
        {
            ResumeFrom = last, EvaluateBeforeTraining = false,
        }));
        Assert.Contains("data.seed", e.Message);

        var again = Run(output, "2", resume: last).Training;
        Assert.Equal(TrainingStatus.Completed, again.Status);
        Assert.Empty(again.Steps);
        Assert.Contains("already complete", again.Message);
    }
}
