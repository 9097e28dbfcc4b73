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

    [System.Runtime.InteropServices.DllImport("libc", EntryPoint = "kill")]
    static extern int Kill(int pid, int signal);

    [Fact]
    public void First_signal_cancels_the_token_and_the_second_asks_to_abort()
    {
        var messages = new StringWriter();
        using var interruption = TrainingInterruption.Listen(messages);
        Assert.False(interruption.Token.IsCancellationRequested);
        Assert.False(interruption.OnSignal("SIGINT"));
        Assert.True(interruption.Token.IsCancellationRequested);
        Assert.Contains("checkpoint-last", messages.ToString());
        Assert.True(interruption.OnSignal("SIGINT"));
        Assert.Contains("aborting", messages.ToString());
    }

    [Fact]
    public async Task Sigint_to_a_training_cli_process_writes_checkpoint_last_and_exits_130()
    {
        if (OperatingSystem.IsWindows()) return; // POSIX signals
        var root = TinyCheckpoints.NewFolder("sigint");
        var model = Path.Combine(root, "tiny-bert");
        TinyBert.Write(model, seed: 1, numLabels: 2);
        File.WriteAllLines(Path.Combine(model, "vocab.txt"),
            ["[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]", .. Enumerable.Range(0, TinyBert.Vocab - 5).Select(i => ((char)('a' + i % 26)).ToString() + (i / 26 == 0 ? "" : "##"))]);
        var output = Path.Combine(root, "run");
        var quickstart = Path.Combine(AppContext.BaseDirectory, "Quickstart.dll");
        var start = new ProcessStartInfo(Environment.ProcessPath!)
        {
            RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false,
        };
        foreach (var a in new[] { quickstart, "train", "spam-minilm", "--device", "cpu", "--set", $"model.path={model}", "--set", "data.max_tokens=24",
                     "--set", "data.max_records=64", "--set", "training.epochs=100000", "--set", $"training.output_dir={output}" })
            start.ArgumentList.Add(a);
        using var process = Process.Start(start)!;
        var stderr = process.StandardError.ReadToEndAsync();
        var stdout = process.StandardOutput.ReadToEndAsync();
        try
        {
            var metrics = Path.Combine(output, MetricsFileWriter.JsonLinesFile);
            var clock = Stopwatch.StartNew();
            while (!(File.Exists(metrics) && new FileInfo(metrics).Length > 0) && !process.HasExited && clock.Elapsed < TimeSpan.FromSeconds(90))
                await Task.Delay(100);
            Assert.False(process.HasExited, "the CLI ended before training");
            Assert.Equal(0, Kill(process.Id, Sigint));
            using var limit = new CancellationTokenSource(TimeSpan.FromSeconds(60));
            await process.WaitForExitAsync(limit.Token);
        }
        finally
        {
            if (!process.HasExited) process.Kill(entireProcessTree: true);
        }
        Assert.True(process.ExitCode == 130, $"exit {process.ExitCode}: {await stderr}");
        var state = JsonNode.Parse(File.ReadAllText(Path.Combine(output, TrainingCheckpoint.LastName, TrainingCheckpoint.StateFile)))!;
        Assert.InRange(state["global_step"]!.GetValue<int>(), 1, 1000);
        Assert.Contains($"--resume {Path.Combine(output, TrainingCheckpoint.LastName)}", await stderr);
    }
}
