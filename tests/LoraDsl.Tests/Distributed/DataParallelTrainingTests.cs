using System.Diagnostics;
using System.Text.Json.Nodes;
using LlamaInstruct;
using LoraDsl.Adapters;
using LoraDsl.Tests.TestCheckpoints;
using LoraDsl.Training;
using Xunit;

namespace LoraDsl.Tests.Distributed;

/// <summary>
/// `mpirun -np 2 ... train` on the tiny LLaMA: the same losses and adapter bits as one process at the same global batch,
/// process 0 the only writer, a killed process ending the job with checkpoint-last intact and resumable by one process,
/// and one stop request stopping both processes at the same step.
/// </summary>
public class DataParallelTrainingTests
{
    static readonly TimeSpan Limit = TimeSpan.FromSeconds(120);
    static readonly Lazy<string> Checkpoint = new(() => TinyLlama.Write(TinyCheckpoints.NewFolder("mpi-llama")));

    // Batch 2 per process; 36 training examples = 18 micro-batches per epoch; constant learning rate so a plan's length changes nothing.
    static List<string> Train(string output, int accumulation, int maxSteps, int epochs = 1, params string[] more) =>
    [
        "train", "llama-instruct", "--device", "cpu",
        "--set", $"model.path={Checkpoint.Value}", "--set", "data.max_records=40", "--set", "training.batch_size=2",
        "--set", $"training.grad_accum={accumulation}", "--set", $"training.max_steps={maxSteps}", "--set", $"training.epochs={epochs}",
        "--set", "training.decay=constant", "--set", "training.warmup_steps=0", "--set", "training.eval_every=0",
        "--set", $"training.output_dir={output}", .. more,
    ];

    [MpiFact]
    public async Task Two_processes_with_accumulation_2_give_the_losses_and_adapter_bits_of_one_process_with_4_and_only_process_0_writes()
    {
        var root = TinyCheckpoints.NewFolder("mpi-identity");
        var (one, two, elsewhere) = (Path.Combine(root, "one"), Path.Combine(root, "two"), Path.Combine(root, "rank1-output"));
        // 5 steps: four of 4 micro-batches and a short last one of 2 (18 per epoch); LoRA dropout 0.05 is on.
        using (var single = MpiJob.Single(Train(one, accumulation: 4, maxSteps: 5)))
        {
            var (exit, _, stderr) = await single.EndAsync(Limit);
            Assert.True(exit == 0, stderr);
        }
        // Process 1 is told another output folder: it must not write there (or anywhere).
        using (var job = MpiJob.LaunchPerRank(Train(two, accumulation: 2, maxSteps: 5), Train(elsewhere, accumulation: 2, maxSteps: 5)))
        {
            var (exit, _, stderr) = await job.EndAsync(Limit);
            Assert.True(exit == 0, stderr);
        }

        var expected = Losses(one);
        Assert.Equal(5, expected.Count);
        Assert.Equal(expected, Losses(two));
        Assert.Equal(File.ReadAllBytes(Path.Combine(one, RunFolder.AdapterName, AdapterFiles.WeightsFile)),
            File.ReadAllBytes(Path.Combine(two, RunFolder.AdapterName, AdapterFiles.WeightsFile)));
        Assert.False(Directory.Exists(elsewhere), "process 1 wrote its output folder");
        var run = JsonNode.Parse(File.ReadAllText(Path.Combine(two, RunManifest.FileName)))!;
        Assert.Equal(2, run["processes"]!["count"]!.GetValue<int>());
        Assert.Equal(2, run["processes"]!["hosts"]!.AsArray().Count);
        Assert.Equal(1, JsonNode.Parse(File.ReadAllText(Path.Combine(one, RunManifest.FileName)))!["processes"]!["count"]!.GetValue<int>());
    }

    [MpiFact]
    public async Task A_killed_process_ends_the_job_naming_it_and_one_process_resumes_its_checkpoint_with_the_same_losses()
    {
        var root = TinyCheckpoints.NewFolder("mpi-kill");
        var (killed, reference) = (Path.Combine(root, "killed"), Path.Combine(root, "reference"));
        int savedStep;
        using (var job = MpiJob.Launch(2, Train(killed, accumulation: 2, maxSteps: 100_000, epochs: 10_000, "--set", "training.save_every=2")))
        {
            var lastState = Path.Combine(killed, TrainingCheckpoint.LastName, TrainingCheckpoint.StateFile);
            var clock = Stopwatch.StartNew();
            while (!(File.Exists(lastState) && Losses(killed).Count >= 3) && !job.HasExited && clock.Elapsed < Limit) await Task.Delay(50);
            Assert.False(job.HasExited, "the job ended before it could be killed");
            var victim = Assert.Single(job.RankProcesses(1));
            Process.GetProcessById(victim).Kill(); // SIGKILL
            var killedAt = Stopwatch.StartNew();
            var (exit, _, stderr) = await job.EndAsync(TimeSpan.FromSeconds(30));
            Assert.InRange(killedAt.Elapsed.TotalSeconds, 0, 15);
            Assert.NotEqual(0, exit);
            Assert.Contains("rank 1", stderr);
            Assert.Contains(Environment.MachineName, stderr);
            savedStep = TrainingCheckpoint.ReadState(Path.Combine(killed, TrainingCheckpoint.LastName)).GlobalStep;
            Assert.True(savedStep >= 2 && savedStep % 2 == 0, $"checkpoint-last at step {savedStep}");
        }

        // One process, accumulation 4 (the same global batch), resumes the two-process checkpoint...
        var end = savedStep + 2;
        using (var resumed = MpiJob.Single([.. Train(killed, accumulation: 4, maxSteps: end, epochs: 10_000), "--resume", Path.Combine(killed, TrainingCheckpoint.LastName)]))
        {
            var (exit, _, stderr) = await resumed.EndAsync(Limit);
            Assert.True(exit == 0, stderr);
        }
        // ...and continues as one process that never stopped.
        using (var straight = MpiJob.Single(Train(reference, accumulation: 4, maxSteps: end, epochs: 10_000)))
        {
            var (exit, _, stderr) = await straight.EndAsync(Limit);
            Assert.True(exit == 0, stderr);
        }
        Assert.Equal(Losses(reference)[savedStep..end], Losses(killed)[savedStep..end]);
        Assert.Equal(File.ReadAllBytes(Path.Combine(reference, RunFolder.AdapterName, AdapterFiles.WeightsFile)),
            File.ReadAllBytes(Path.Combine(killed, RunFolder.AdapterName, AdapterFiles.WeightsFile)));
    }

    [MpiFact]
    public async Task One_stop_request_to_mpirun_stops_both_processes_at_the_same_step_with_checkpoint_last()
    {
        var output = Path.Combine(TinyCheckpoints.NewFolder("mpi-stop"), "run");
        using var job = MpiJob.Launch(2, Train(output, accumulation: 1, maxSteps: 100_000, epochs: 10_000));
        var clock = Stopwatch.StartNew();
        while (Losses(output).Count < 2 && !job.HasExited && clock.Elapsed < Limit) await Task.Delay(50);
        Assert.False(job.HasExited, "the job ended before the request");
        // mpirun forwards SIGUSR1 to every process at once; sent twice in quick succession it is still one request.
        Assert.Equal(0, Kill(job.Id, Sigusr1));
        Assert.Equal(0, Kill(job.Id, Sigusr1));
        var (exit, _, stderr) = await job.EndAsync(TimeSpan.FromSeconds(60));
        Assert.True(exit == 130, $"exit {exit}: {stderr}");
        Assert.DoesNotContain("aborting", stderr);
        var state = TrainingCheckpoint.ReadState(Path.Combine(output, TrainingCheckpoint.LastName));
        Assert.Equal(Losses(output).Count, state.GlobalStep);
        Assert.Contains("--resume", stderr);
        // Both processes stopped there: process 1 also reached the stop (its line) and neither aborted.
        Assert.Equal(2, CountOf(stderr, "finishing this step"));
        Assert.Equal(2, JsonNode.Parse(File.ReadAllText(Path.Combine(output, RunManifest.FileName)))!["processes"]!["count"]!.GetValue<int>());
    }

    const int Sigusr1 = 10;

    static int CountOf(string text, string part) => (text.Length - text.Replace(part, "").Length) / part.Length;

    [System.Runtime.InteropServices.DllImport("libc", EntryPoint = "kill")]
    static extern int Kill(int pid, int signal);

    /// <summary>Loss and gradient norm of each step in metrics.jsonl, as written (round-trip text, so equal text is equal bits).</summary>
    static List<string> Losses(string output)
    {
        var path = Path.Combine(output, MetricsFileWriter.JsonLinesFile);
        if (!File.Exists(path)) return [];
        using var stream = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.ReadWrite | FileShare.Delete);
        using var reader = new StreamReader(stream);
        var losses = new List<string>();
        while (reader.ReadLine() is { } line)
        {
            if (!line.EndsWith('}')) break; // a line being written
            var node = JsonNode.Parse(line)!;
            if (node["kind"]?.GetValue<string>() == "train") losses.Add($"{node["loss"]?.ToJsonString()} norm {node["grad_norm"]?.ToJsonString()}");
        }
        return losses;
    }
}
