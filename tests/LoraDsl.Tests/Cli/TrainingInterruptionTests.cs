using System.Diagnostics;
using System.Text.Json.Nodes;
using LoraDsl.Cli;
using LoraDsl.Tests.TestCheckpoints;
using LoraDsl.Training;
using Xunit;

namespace LoraDsl.Tests.Cli;

/// <summary>Ctrl+C during `train`: the first signal saves checkpoint-last and says how to resume; a second aborts.</summary>
public class TrainingInterruptionTests
{
    const int Sigint = 2;
    const int Sigterm = 15;

    [System.Runtime.InteropServices.DllImport("libc", EntryPoint = "kill")]
    static extern int Kill(int pid, int signal);

    [Fact]
    public void First_signal_cancels_the_token_and_the_second_asks_to_abort()
    {
        var messages = new StringWriter();
        using var interruption = TrainingInterruption.Listen(messages);
        Assert.False(interruption.Token.IsCancellationRequested);
        Assert.False(interruption.OnSignal("SIGINT", 0));
        Assert.True(interruption.Token.IsCancellationRequested);
        Assert.Contains("checkpoint-last", messages.ToString());
        Assert.True(interruption.OnSignal("SIGINT", 1500));
        Assert.Contains("aborting", messages.ToString());
    }

    [Fact]
    public void A_signal_handled_after_dispose_is_ignored_instead_of_crashing_the_process()
    {
        // mpirun forwards SIGUSR1 a second time; its handler can run on the thread pool after training disposed the listener.
        var messages = new StringWriter();
        var interruption = TrainingInterruption.Listen(messages, launchedByMpi: true);
        Assert.False(interruption.OnSignal("SIGUSR1", 0));
        interruption.Dispose();
        Assert.False(interruption.OnSignal("SIGUSR1", 10));
        Assert.False(interruption.OnSignal("SIGINT", 60_000));
        Assert.DoesNotContain("aborting", messages.ToString());
    }

    [Fact]
    public void The_same_signal_again_within_a_second_is_the_same_request_and_later_or_another_signal_aborts()
    {
        var messages = new StringWriter();
        using var interruption = TrainingInterruption.Listen(messages);
        Assert.False(interruption.OnSignal("SIGTERM", 10_000));
        Assert.False(interruption.OnSignal("SIGTERM", 10_004)); // forwarded by `dotnet run` 4 ms later
        Assert.DoesNotContain("aborting", messages.ToString());
        Assert.True(interruption.OnSignal("SIGTERM", 11_001));
        Assert.Contains("SIGTERM again: aborting", messages.ToString());

        using var other = TrainingInterruption.Listen(new StringWriter());
        Assert.False(other.OnSignal("SIGTERM", 0));
        Assert.True(other.OnSignal("SIGINT", 5)); // Ctrl+C after SIGTERM is a second request
    }

    [Fact]
    public async Task Sigint_to_a_training_cli_process_writes_checkpoint_last_and_exits_130()
    {
        if (OperatingSystem.IsWindows()) return; // POSIX signals
        var output = Path.Combine(TinyCheckpoints.NewFolder("sigint"), "run");
        var (exit, stderr) = await TrainAndSignal(output, pid => Assert.Equal(0, Kill(pid, Sigint)));
        Assert.True(exit == 130, $"exit {exit}: {stderr}");
        var state = JsonNode.Parse(File.ReadAllText(Path.Combine(output, TrainingCheckpoint.LastName, TrainingCheckpoint.StateFile)))!;
        Assert.InRange(state["global_step"]!.GetValue<int>(), 1, 1000);
        Assert.Contains($"--resume {Path.Combine(output, TrainingCheckpoint.LastName)}", stderr);
    }

    [Fact]
    public async Task A_group_kill_of_dotnet_run_delivers_sigterm_twice_and_still_writes_checkpoint_last_while_a_second_run_is_refused()
    {
        if (OperatingSystem.IsWindows()) return; // POSIX signals and process groups
        var output = Path.Combine(TinyCheckpoints.NewFolder("sigterm-group"), "run");
        var (exit, stderr) = await TrainAndSignal(output, pid =>
        {
            // A second run into the same folder while the first is going: refused, the folder is untouched.
            var e = Assert.Throws<LoraDsl.Outputs.OutputFolderException>(() => RunFolder.Prepare(output));
            Assert.Contains("in use by another LoraDsl run", e.Message);
            // `timeout`, docker stop and Slurm signal the whole group: `dotnet run` gets it and forwards it, so the program sees it twice.
            Assert.Equal(0, Kill(-pid, Sigterm));
        }, viaDotnetRun: true);
        Assert.True(exit == 130, $"exit {exit}: {stderr}");
        Assert.DoesNotContain("aborting without saving", stderr);
        Assert.True(Directory.Exists(Path.Combine(output, TrainingCheckpoint.LastName)), stderr);
    }

    /// <summary>Starts a long tiny-BERT `train` (through `dotnet run` in its own process group when asked), signals it once training has begun, and waits for its end.</summary>
    static async Task<(int Exit, string Stderr)> TrainAndSignal(string output, Action<int> signal, bool viaDotnetRun = false)
    {
        var root = Path.GetDirectoryName(output)!;
        var model = Path.Combine(root, "tiny-bert");
        TinyBert.Write(model, seed: 1, numLabels: 2);
        File.WriteAllLines(Path.Combine(model, "vocab.txt"),
            ["[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]", .. Enumerable.Range(0, TinyBert.Vocab - 5).Select(i => ((char)('a' + i % 26)).ToString() + (i / 26 == 0 ? "" : "##"))]);
        var quickstart = Path.Combine(AppContext.BaseDirectory, "Quickstart.dll");
        string[] train = ["train", "spam-minilm", "--device", "cpu", "--set", $"model.path={model}", "--set", "data.max_tokens=24",
            "--set", "data.max_records=64", "--set", "training.epochs=100000", "--set", $"training.output_dir={output}"];
        // A shell starting this suite in the background (`cmd &` without job control) leaves SIGINT ignored, and a child
        // inherits that (POSIX), so .NET would never see the Ctrl+C: `env --default-signal=INT` restores it for the CLI.
        var start = new ProcessStartInfo(viaDotnetRun ? "setsid" : "env")
        {
            RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false,
        };
        string[] arguments = viaDotnetRun
            ? ["dotnet", "run", "--no-build", "--project", QuickstartProject(), "--", .. train]
            : ["--default-signal=INT", Environment.ProcessPath!, quickstart, .. train];
        foreach (var a in arguments) start.ArgumentList.Add(a);
        using var process = Process.Start(start)!;
        var stderr = process.StandardError.ReadToEndAsync();
        var stdout = process.StandardOutput.ReadToEndAsync();
        try
        {
            var metrics = Path.Combine(output, MetricsFileWriter.JsonLinesFile);
            var clock = Stopwatch.StartNew();
            while (!(File.Exists(metrics) && new FileInfo(metrics).Length > 0) && !process.HasExited && clock.Elapsed < TimeSpan.FromSeconds(120))
                await Task.Delay(100);
            Assert.False(process.HasExited, "the CLI ended before training");
            signal(process.Id);
            using var limit = new CancellationTokenSource(TimeSpan.FromSeconds(60));
            try
            {
                await process.WaitForExitAsync(limit.Token);
            }
            catch (OperationCanceledException)
            {
                // Still running a minute after the signal: say what the CLI printed, not only that the wait ended.
                process.Kill(entireProcessTree: true);
                await process.WaitForExitAsync();
                Assert.Fail($"the CLI did not end within 60 s of the signal. stderr:\n{await stderr}\nstdout:\n{await stdout}");
            }
        }
        finally
        {
            if (!process.HasExited) process.Kill(entireProcessTree: true);
        }
        await stdout;
        return (process.ExitCode, await stderr);
    }

    static string QuickstartProject()
    {
        var dir = new DirectoryInfo(AppContext.BaseDirectory);
        while (dir is not null && !File.Exists(Path.Combine(dir.FullName, "LoraDsl.sln"))) dir = dir.Parent;
        return Path.Combine(dir?.FullName ?? throw new InvalidOperationException("LoraDsl.sln not found above the test folder"), "examples", "Quickstart", "Quickstart.csproj");
    }
}
