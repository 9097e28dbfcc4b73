using System.Diagnostics;
using System.Globalization;
using System.Text.Json;
using LoraDsl.Checkpoints;
using LoraDsl.Distributed;
using LoraDsl.Lora;
using LoraDsl.Models;
using LoraDsl.Models.Llama;
using LoraDsl.Training;
using TorchSharp;
using static TorchSharp.torch;

namespace Benchmark;

/// <summary>
/// <c>--processes N</c>: the benchmark LLaMA's LoRA step (fp32, r=16 on q/k/v/o) as one process with all threads and as N
/// MPI processes sharing them (each its own batch, one allreduce of the flat gradients per step through
/// <see cref="StepGradients"/>), then the expected scaling at 8 and 64 processes over 10 and 100 Gbit/s on paper.
/// </summary>
public static class DataParallelRun
{
    /// <summary>One process's figures (rank 0 prints them).</summary>
    public sealed record Measurement(int Processes, int ThreadsPerProcess, double MedianStepSeconds, double MedianAllreduceSeconds,
        long BytesPerStep, long TrainableParameters, double TokensPerSecond, double Loss);

    public static int Run(BenchmarkOptions o)
    {
        var checkpoint = o.Model ?? o.LlamaCheckpoint;
        if (!File.Exists(Path.Combine(checkpoint, "model.safetensors"))) RandomLlama.Write(checkpoint);
        var n = o.Processes!.Value;
        Console.WriteLine($"machine: {Environment.ProcessorCount} cores; {CpuInfo.Describe()}; model {checkpoint}");
        var child = new List<string> { "--dp-child", "--model", checkpoint, "--steps", $"{o.Steps}", "--warmup", $"{o.Warmup}", "--batch", $"{o.Batch}", "--seq", $"{o.Sequence}" };
        var one = Launch(1, o.Threads, child);
        var many = Launch(n, Math.Max(1, o.Threads / n), child);
        Console.WriteLine();
        Console.WriteLine("| processes × threads | s/step | tokens/s (all processes) | allreduce s/step | bytes reduced/step |");
        Console.WriteLine("|---|---|---|---|---|");
        foreach (var m in new[] { one, many })
            Console.WriteLine(Invariant($"| {m.Processes} × {m.ThreadsPerProcess} | {m.MedianStepSeconds:F3} | {m.TokensPerSecond:F0} | {m.MedianAllreduceSeconds * 1e3:F2} ms | {m.BytesPerStep:N0} |"));
        Console.WriteLine();
        // On a cluster each process has a machine like this one: its compute is the one-process step measured above.
        PrintScaling("benchmark LLaMA (step measured: 1 process, all threads)", many.BytesPerStep, one.MedianStepSeconds - one.MedianAllreduceSeconds, many.MedianAllreduceSeconds);
        // LLaMA-3-8B, r=16 on q,k,v,o,gate,up,down of 32 layers: 16·((4096+4096)·2 + (4096+1024)·2 + (4096+14336)·3) per layer.
        const long eightB = 32L * 16 * ((4096 + 4096) * 2 + (4096 + 1024) * 2 + (4096 + 14336) * 3);
        // Its step on paper: LoRA forward + backward ≈ 4 · 8.03e9 · tokens FLOPs; 4096 tokens per process at 400 TFLOP/s (an H100 at ~40% of bf16 peak).
        PrintScaling("LLaMA-3-8B, r=16, all linear (step on paper: 4096 tokens/process, 400 TFLOP/s)", eightB * 4, 4 * 8.03e9 * 4096 / 400e12, many.MedianAllreduceSeconds);
        return 0;
    }

    /// <summary>
    /// Ring allreduce over P processes: each sends and receives 2·(P−1)/P of the buffer and waits 2·(P−1) latencies;
    /// plus the measured local cost (host copies and the reduction itself). The step is compute + allreduce (no overlap).
    /// </summary>
    static void PrintScaling(string model, long bytes, double computeSeconds, double localAllreduceSeconds)
    {
        Console.WriteLine(Invariant($"scaling, {model}: {bytes / 1e6:F1} MB of fp32 gradients per step, compute {computeSeconds:F3} s/step per process"));
        Console.WriteLine("| processes | network | allreduce s | step s | efficiency | speed-up |");
        Console.WriteLine("|---|---|---|---|---|---|");
        foreach (var p in new[] { 8, 64 })
            foreach (var (gbit, latency) in new[] { (10.0, 50e-6), (100.0, 5e-6) })
            {
                var allreduce = 2.0 * (p - 1) / p * bytes * 8 / (gbit * 1e9) + 2.0 * (p - 1) * latency + localAllreduceSeconds;
                var step = computeSeconds + allreduce;
                Console.WriteLine(Invariant($"| {p} | {gbit:F0} Gbit/s | {allreduce:F3} | {step:F3} | {computeSeconds / step:P0} | {p * computeSeconds / step:F1}× |"));
            }
        Console.WriteLine();
    }

    static Measurement Launch(int processes, int threads, List<string> child)
    {
        var self = Path.Combine(AppContext.BaseDirectory, "Benchmark.dll");
        ProcessStartInfo start;
        if (processes == 1)
        {
            start = new ProcessStartInfo(Environment.ProcessPath!);
            start.ArgumentList.Add(self);
        }
        else
        {
            start = new ProcessStartInfo("mpirun");
            foreach (var a in new[] { "--allow-run-as-root", "--oversubscribe", "--bind-to", "none", "-np", $"{processes}", Environment.ProcessPath!, self })
                start.ArgumentList.Add(a);
        }
        foreach (var a in child.Concat(["--threads", $"{threads}"])) start.ArgumentList.Add(a);
        start.RedirectStandardOutput = true;
        Console.WriteLine($"{processes} process(es) × {threads} thread(s): {string.Join(' ', start.ArgumentList.Prepend(start.FileName))}");
        using var process = Process.Start(start)!;
        var output = process.StandardOutput.ReadToEnd();
        process.WaitForExit();
        // The JSON line may follow a terminal escape the console wrote first.
        var line = output.Split('\n').Where(l => l.Contains("{\"Processes\"")).Select(l => l[l.IndexOf('{')..]).LastOrDefault();
        if (process.ExitCode != 0 || line is null) throw new InvalidOperationException($"the {processes}-process run failed (exit {process.ExitCode}): {output}");
        return JsonSerializer.Deserialize<Measurement>(line)!;
    }

    /// <summary>In each process of the job: load, place LoRA, time steps; rank 0 prints one JSON line.</summary>
    public static int Measure(BenchmarkOptions o)
    {
        var group = ProcessGroup.Current;
        using var model = ModelLoader.Load(o.Model!, new ModelLoadOptions { Device = "cpu" });
        var config = (LlamaConfig)model.Config;
        LoraInjector.Inject(model, new LoraOptions { Rank = 16, Alpha = 32, Dropout = 0 },
            Enumerable.Range(0, config.NumLayers).SelectMany(i => new[] { "q_proj", "k_proj", "v_proj", "o_proj" }.Select(p => new LoraTarget($"model.layers.{i}.self_attn.{p}"))));
        model.train();
        var trainable = DistinctParameters.Of(model).Select(p => p.Parameter).Where(p => p.requires_grad).ToList();
        using var optimizer = optim.AdamW(trainable, lr: 2e-4, weight_decay: 0.0);
        var gradients = new StepGradients(trainable, group);
        manual_seed(group.Rank); // each process its own batch
        using var ids = randint(0, config.VocabSize, [o.Batch, o.Sequence]);
        var (steps, reduces) = (new List<double>(), new List<double>());
        var loss = 0.0;
        for (var step = 0; step < o.Warmup + o.Steps; step++)
        {
            group.Barrier(); // start together, so a step's time includes waiting for the slowest process
            var clock = Stopwatch.StartNew();
            using (NewDisposeScope())
            {
                optimizer.zero_grad();
                gradients.Accumulate(new MicroBatchShard(group.Rank, 1), _ =>
                {
                    var l = TrainingLoss.Compute(model, new ModelInputs(ids), ids);
                    l.backward();
                    return StepOutcome.ReadLoss(l);
                });
                loss = gradients.Reduce().Loss / group.Size;
                optimizer.step();
            }
            if (step < o.Warmup) continue;
            steps.Add(clock.Elapsed.TotalSeconds);
            reduces.Add(gradients.LastReduceSeconds);
        }
        var median = StepMeasurement.Median(steps);
        if (group.IsWriter)
            Console.WriteLine(JsonSerializer.Serialize(new Measurement(group.Size, o.Threads, median, StepMeasurement.Median(reduces), gradients.BytesPerStep,
                gradients.Elements, (double)group.Size * o.Batch * o.Sequence / median, loss)));
        return 0;
    }

    static string Invariant(FormattableString s) => s.ToString(CultureInfo.InvariantCulture);
}
