using System.Diagnostics;
using System.Text.Json;
using System.Text.Json.Nodes;

namespace Benchmark;

/// <summary>Runs a measurement in another process and reads its one JSON line.</summary>
public static class Child
{
    public static StepMeasurement RunSelf(string[] args) => JsonSerializer.Deserialize<StepMeasurement>(RunSelfLine(args))!;

    /// <summary>The last JSON line a child run of this program prints.</summary>
    public static string RunSelfLine(string[] args) =>
        Run(Environment.ProcessPath!, args) ?? throw new InvalidOperationException("The measuring child process printed nothing.");

    /// <summary>
    /// The PyTorch eager baseline for <paramref name="arch"/> (gpt2 or llama): fp32, or bf16 as a PyTorch user writes it
    /// (the frozen base cast to bf16, LoRA weights fp32, the step under <c>torch.autocast("cpu", dtype=torch.bfloat16)</c>);
    /// null with a hint when Debian's python3-torch is not installed.
    /// </summary>
    public static StepMeasurement? RunPython(BenchmarkOptions o, string arch, string precision, string mode)
    {
        var script = Path.Combine(AppContext.BaseDirectory, "pytorch_baseline.py");
        string? line;
        try
        {
            line = Run("/usr/bin/python3", [script, "--arch", arch, "--precision", precision, "--mode", mode, "--steps", $"{o.Steps}", "--warmup", $"{o.Warmup}",
                "--layers", $"{o.Layers}", "--threads", $"{o.Threads}", "--batch", $"{o.Batch}", "--seq", $"{o.Sequence}"]);
        }
        catch (Exception e) when (e is System.ComponentModel.Win32Exception or InvalidOperationException)
        {
            line = null;
            Console.WriteLine($"  baseline failed: {e.Message}");
        }
        if (line is null)
        {
            Console.WriteLine("  no PyTorch baseline: install it with `apt-get install python3-torch libopenblas0-pthread`.");
            return null;
        }
        var j = JsonNode.Parse(line)!;
        return new StepMeasurement
        {
            Implementation = $"PyTorch eager {j["torch"]}",
            Mode = mode,
            Model = arch,
            Precision = precision,
            MedianStepSeconds = (double)j["median_step_s"]!,
            StepSeconds = j["step_s"]!.AsArray().Select(x => (double)x!).ToList(),
            TokensPerSecond = (double)j["tokens_per_s"]!,
            PeakRssMb = (double)j["peak_rss_mb"]!,
            TrainableParameters = (long)j["trainable_params"]!,
            TotalParameters = (long)j["total_params"]!,
            Loss = (double)j["loss"]!,
        };
    }

    static string? Run(string program, IEnumerable<string> args)
    {
        var start = new ProcessStartInfo(program) { RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (var a in args) start.ArgumentList.Add(a);
        using var process = Process.Start(start)!;
        var stderr = process.StandardError.ReadToEndAsync();
        var stdout = process.StandardOutput.ReadToEnd();
        process.WaitForExit();
        if (process.ExitCode != 0) throw new InvalidOperationException($"{Path.GetFileName(program)} exited with {process.ExitCode}: {stderr.Result.Trim()}");
        return stdout.Split('\n', StringSplitOptions.RemoveEmptyEntries).LastOrDefault(l => l.TrimStart().StartsWith('{'));
    }
}
