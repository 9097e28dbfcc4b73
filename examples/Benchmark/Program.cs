using System.Text.Json;
using Benchmark;
using TorchSharp;
using static TorchSharp.torch;

// dotnet run -c Release --project examples/Benchmark [-- --steps 2 --warmup 1 --rounds 1 | --model DIR --precision fp32|bf16|nf4 --mode lora|full --checkpointing --skip-baseline | --parts | --processes 2]
// Each model and configuration runs in its own child process so that its peak RSS is its own.
var options = BenchmarkOptions.Parse(args);
torch.set_num_threads(options.Threads);
var json = new JsonSerializerOptions { WriteIndented = false };

if (options.DataParallelChild) return DataParallelRun.Measure(options);
if (options.Processes is not null) return DataParallelRun.Run(options);

if (options.Parts)
{
    PartsRun.Run(Math.Max(options.Steps, 3));
    return 0;
}

if (options.GenerateChild)
{
    var generated = GenerationRun.Run(options.Model ?? throw new ArgumentException("--generate-child needs --model."), options.Precision ?? "bf16", options.PromptTokens, options.NewTokens);
    Console.WriteLine(JsonSerializer.Serialize(generated, json));
    return 0;
}

if (options.Child)
{
    var configuration = StepConfiguration.Select(options) is [var one] ? one : throw new ArgumentException("--child needs --precision, --mode and --checkpointing/--no-checkpointing.");
    var measured = TrainingStepRun.Run(options.Model ?? throw new ArgumentException("--child needs --model."), configuration, options.Steps, options.Warmup, options.Batch, options.Sequence);
    Console.WriteLine(JsonSerializer.Serialize(measured, json));
    return 0;
}

Directory.CreateDirectory(Path.Combine("artifacts", "bench"));
var models = new List<(string Directory, string? Arch)>();
if (options.Model is { } given) models.Add((given, null));
else if (options.LargeLlama)
{
    if (!File.Exists(Path.Combine(options.LargeLlamaCheckpoint, "model.safetensors"))) RandomLlama.Write(options.LargeLlamaCheckpoint, RandomLlama.OneB);
    models.Add((options.LargeLlamaCheckpoint, null));
}
else
{
    if (!File.Exists(Path.Combine(options.Gpt2Checkpoint, "model.safetensors"))) RandomGpt2.Write(options.Gpt2Checkpoint, options.Layers);
    if (!File.Exists(Path.Combine(options.LlamaCheckpoint, "model.safetensors"))) RandomLlama.Write(options.LlamaCheckpoint);
    // The PyTorch script rebuilds these two architectures; a folder given with --model has no baseline.
    models.Add((options.Gpt2Checkpoint, options.Layers == 12 ? "gpt2" : null));
    models.Add((options.LlamaCheckpoint, "llama"));
}
var configurations = StepConfiguration.Select(options);
Console.WriteLine($"machine: {Environment.ProcessorCount} cores, {options.Threads} torch threads; {CpuInfo.Describe()}");
// Without native bf16 matmuls LoraDsl multiplies bf16 operands in fp32 (docs/precision.md): the bf16 "peak" is that product's rate,
// not ATen's reference bf16 GEMM (minutes at 2048³ and a path no row takes).
var upcastBf16 = !CpuInfo.NativeBf16Matmul;
var peaks = new MatmulPeaks(MatmulPeak.Measure(ScalarType.Float32), MatmulPeak.Measure(ScalarType.BFloat16, upcast: upcastBf16));
Console.WriteLine($"matmul 2048³ peak: fp32 {peaks.Fp32 / 1e9:F1} GFLOP/s, bf16 {peaks.Bf16 / 1e9:F1} GFLOP/s{(upcastBf16 ? " (bf16 operands upcast, fp32 GEMM)" : "")}");
if (upcastBf16)
    Console.WriteLine("note: no AVX-512 BW/VL/DQ or AMX: libtorch's bf16 matmul would be ATen's reference GEMM; LoraDsl keeps bf16 storage and multiplies in fp32 (LORADSL_BF16_MATMUL=native forces the reference path; --parts)");

// Rounds interleave the implementations (each LoraDsl row, then its PyTorch row, repeat):
// on a shared machine a slow spell then hits both sides instead of one.
var ours = new Dictionary<string, List<StepMeasurement>>();
var theirs = new Dictionary<string, List<StepMeasurement>>();
for (var round = 1; round <= options.Rounds; round++)
{
    foreach (var (directory, arch) in models)
    {
        foreach (var c in configurations)
        {
            // Full fine-tuning that cannot fit (weights + gradients + two AdamW moments, 16 B per parameter) is computed in the report instead.
            if (c.Mode == "full" && FullFineTuningDoesNotFit(ours, directory))
            {
                Console.WriteLine($"round {round}/{options.Rounds}, {Path.GetFileName(directory)}, LoraDsl {c.Label}: not run, 16 B x parameters exceeds the memory available ({ProcessMemory.AvailableMb():F0} MB); computed below");
                continue;
            }
            Console.WriteLine($"round {round}/{options.Rounds}, {Path.GetFileName(directory)}, LoraDsl {c.Label}: {options.Warmup} warmup + {options.Steps} timed steps ...");
            StepMeasurement mine;
            try { mine = Child.RunSelf([.. ChildArguments(args), "--child", "--model", directory, .. c.Arguments()]); }
            catch (InvalidOperationException e)
            {
                // One failed row (out of memory, a crash) is reported and the run goes on to the next.
                Console.WriteLine($"  row failed: {e.Message.Split('\n')[0]}");
                continue;
            }
            Add(ours, $"{directory}|{c.Label}", mine);
            // Each row as it arrives, so a run cut short still shows what it measured.
            Console.WriteLine(string.Create(System.Globalization.CultureInfo.InvariantCulture, $"  {mine.Label}: {mine.MedianStepSeconds:F3} s/step, {mine.TokensPerSecond:F0} tokens/s, peak RSS {mine.PeakRssMb:F0} MB"));
            // The baseline the targets name is bf16 autocast LoRA; the fp32 one only when fp32 was asked for alone.
            var baselineRow = c is { Mode: "lora", Checkpointing: false } && (c.Precision == "bf16" || options.Precision == "fp32");
            if (options.SkipBaseline || arch is null || !baselineRow) continue;
            Console.WriteLine($"round {round}/{options.Rounds}, {arch}, PyTorch eager {c.Label} ...");
            if (Child.RunPython(options, arch, c.Precision, c.Mode) is { } b)
            {
                Add(theirs, $"{directory}|{c.Label}", b with { Model = mine.Model, Checkpointing = false });
                Console.WriteLine(string.Create(System.Globalization.CultureInfo.InvariantCulture, $"  PyTorch {c.Label}: {b.MedianStepSeconds:F3} s/step, {b.TokensPerSecond:F0} tokens/s, peak RSS {b.PeakRssMb:F0} MB"));
            }
        }
    }
}
var results = ours.Values.Select(StepMeasurement.Merge).ToList();
var baseline = theirs.Values.Select(StepMeasurement.Merge).ToList();
foreach (var model in results.Select(r => r.Model).Distinct().ToList())
    if (configurations.Any(c => c.Mode == "full") && !results.Any(r => r.Model == model && r.Mode == "full")
        && results.FirstOrDefault(r => r.Model == model && r is { Precision: "fp32", Mode: "lora", Checkpointing: false }) is { } fp32Lora)
        results.Add(FullFineTuning.Computed(fp32Lora));
var generation = new List<GenerationRun.Result>();
if (!options.SkipGeneration && (options.Mode ?? "lora") == "lora")
    foreach (var (directory, _) in models)
    {
        Console.WriteLine($"{Path.GetFileName(directory)}: generate {options.NewTokens} tokens after {options.PromptTokens}, base / unmerged adapter / merged ...");
        try
        {
            var line = Child.RunSelfLine([.. ChildArguments(args), "--generate-child", "--model", directory, "--precision", options.Precision == "fp32" ? "fp32" : "bf16"]);
            generation.Add(JsonSerializer.Deserialize<GenerationRun.Result>(line)!);
        }
        catch (InvalidOperationException e) { Console.WriteLine($"  generation failed: {e.Message.Split('\n')[0]}"); }
    }

peaks = new MatmulPeaks(Math.Max(peaks.Fp32, MatmulPeak.Measure(ScalarType.Float32)), Math.Max(peaks.Bf16, MatmulPeak.Measure(ScalarType.BFloat16, upcast: upcastBf16)));
Console.WriteLine($"matmul 2048³ peak, best of the measurements before and after: fp32 {peaks.Fp32 / 1e9:F1} GFLOP/s, bf16 {peaks.Bf16 / 1e9:F1} GFLOP/s");
Report.Print(results, baseline, peaks, options);
ComparisonTable.Print(results, generation);
var output = Path.Combine("artifacts", "bench", "results.json");
File.WriteAllText(output, JsonSerializer.Serialize(new
{
    options, cpu = CpuInfo.Describe(), matmulPeakFlops = peaks.Fp32, matmulPeakBf16Flops = peaks.Bf16, loradsl = results, pytorch = baseline, generation,
}, new JsonSerializerOptions { WriteIndented = true }));
Console.WriteLine($"written: {Path.GetFullPath(output)}");
return 0;



// The fp32 LoRA row of the same model, already measured, gives the parameter count and the activations.
static bool FullFineTuningDoesNotFit(Dictionary<string, List<StepMeasurement>> measured, string directory)
{
    var lora = measured.FirstOrDefault(kv => kv.Key.StartsWith(directory + "|", StringComparison.Ordinal) && kv.Value[0] is { Precision: "fp32", Mode: "lora", Checkpointing: false }).Value?[0];
    return lora is not null && FullFineTuning.ComputedPeakMb(lora) > 0.9 * ProcessMemory.AvailableMb();
}

static void Add(Dictionary<string, List<StepMeasurement>> rows, string key, StepMeasurement m) =>
    (rows.TryGetValue(key, out var list) ? list : rows[key] = []).Add(m);

// The parent's own selection options are replaced by the row's.
static string[] ChildArguments(string[] args)
{
    var kept = new List<string>();
    for (var i = 0; i < args.Length; i++)
    {
        if (args[i] is "--model" or "--precision" or "--mode") { i++; continue; }
        if (args[i] is "--checkpointing" or "--no-checkpointing" or "--skip-baseline") continue;
        kept.Add(args[i]);
    }
    return [.. kept];
}
