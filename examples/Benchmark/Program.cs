using System.Diagnostics;
using System.Globalization;
using System.Text.Json;
using System.Text.Json.Nodes;
using Benchmark;
using LoraDsl.Checkpoints;
using TorchSharp;
using static TorchSharp.torch;

// dotnet run -c Release --project examples/Benchmark [-- --steps 6 --warmup 2 --layers 12 --skip-baseline]
// Each mode runs in its own child process so that its peak RSS is its own.
var options = BenchmarkOptions.Parse(args);
torch.set_num_threads(options.Threads);
var json = new JsonSerializerOptions { WriteIndented = false };

if (options.ChildMode is { } mode)
{
    var measured = TrainingStepRun.Run(options.Checkpoint, mode, options.Steps, options.Warmup, options.Batch, options.Sequence);
    Console.WriteLine(JsonSerializer.Serialize(measured, json));
    return 0;
}

Directory.CreateDirectory(Path.GetDirectoryName(options.Checkpoint)!);
if (!File.Exists(Path.Combine(options.Checkpoint, "model.safetensors"))) RandomGpt2.Write(options.Checkpoint, options.Layers);
var peak = MatmulPeak.Measure();
Console.WriteLine($"machine: {Environment.ProcessorCount} cores, {options.Threads} torch threads; fp32 matmul 2048³ peak {peak / 1e9:F1} GFLOP/s");

var results = new List<StepMeasurement>();
foreach (var m in new[] { "lora", "full" })
{
    Console.WriteLine($"LoraDsl {m}: {options.Warmup} warmup + {options.Steps} timed steps ...");
    results.Add(Child.RunSelf([.. args, "--child", m]));
}
var baseline = new List<StepMeasurement>();
if (!options.SkipBaseline)
{
    foreach (var m in new[] { "lora", "full" })
    {
        Console.WriteLine($"PyTorch eager {m} ...");
        if (Child.RunPython(options, m) is { } b) baseline.Add(b);
    }
}

Report.Print(results, baseline, peak, options);
var output = Path.Combine("artifacts", "bench", "results.json");
File.WriteAllText(output, JsonSerializer.Serialize(new { options, matmulPeakFlops = peak, loradsl = results, pytorch = baseline }, new JsonSerializerOptions { WriteIndented = true }));
Console.WriteLine($"written: {Path.GetFullPath(output)}");
return 0;
