using System.Diagnostics;
using System.Globalization;
using System.Text.Json;
using System.Text.Json.Nodes;
using Benchmark;
using LoraDsl.Checkpoints;
using TorchSharp;
using static TorchSharp.torch;

// dotnet run -c Release --project examples/Benchmark [-- --steps 6 --warmup 2 --rounds 1 --layers 12 --skip-baseline | --parts]
// Each mode runs in its own child process so that its peak RSS is its own.
var options = BenchmarkOptions.Parse(args);
torch.set_num_threads(options.Threads);
var json = new JsonSerializerOptions { WriteIndented = false };

if (options.Parts)
{
    PartsRun.Run(Math.Max(options.Steps, 3));
    return 0;
}

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

// Rounds interleave the implementations (LoraDsl lora, PyTorch lora, LoraDsl full, PyTorch full, repeat):
// on a shared machine a slow spell then hits both sides instead of one.
var ours = new Dictionary<string, List<StepMeasurement>>();
var theirs = new Dictionary<string, List<StepMeasurement>>();
var roundRatios = new List<double>();
for (var round = 1; round <= options.Rounds; round++)
{
    foreach (var m in new[] { "lora", "full" })
    {
        Console.WriteLine($"round {round}/{options.Rounds}, LoraDsl {m}: {options.Warmup} warmup + {options.Steps} timed steps ...");
        var mine = Child.RunSelf([.. args, "--child", m]);
        (ours.TryGetValue(m, out var list) ? list : ours[m] = []).Add(mine);
        if (options.SkipBaseline) continue;
        Console.WriteLine($"round {round}/{options.Rounds}, PyTorch eager {m} ...");
        if (Child.RunPython(options, m) is not { } b) continue;
        (theirs.TryGetValue(m, out var blist) ? blist : theirs[m] = []).Add(b);
        if (m == "lora") roundRatios.Add(b.MedianStepSeconds / mine.MedianStepSeconds);
    }
}
var results = ours.Values.Select(StepMeasurement.Merge).ToList();
var baseline = theirs.Values.Select(StepMeasurement.Merge).ToList();
if (roundRatios.Count > 1)
    Console.WriteLine($"LoRA speed ratio per round: {string.Join(", ", roundRatios.Select(r => r.ToString("F2", System.Globalization.CultureInfo.InvariantCulture) + "x"))}");

peak = Math.Max(peak, MatmulPeak.Measure());
Console.WriteLine($"fp32 matmul 2048³ peak, best of the measurements before and after: {peak / 1e9:F1} GFLOP/s");
Report.Print(results, baseline, peak, options);
var output = Path.Combine("artifacts", "bench", "results.json");
File.WriteAllText(output, JsonSerializer.Serialize(new { options, matmulPeakFlops = peak, loradsl = results, pytorch = baseline }, new JsonSerializerOptions { WriteIndented = true }));
Console.WriteLine($"written: {Path.GetFullPath(output)}");
return 0;
