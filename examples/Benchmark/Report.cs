using System.Globalization;

namespace Benchmark;

/// <summary>The figures, side by side, with the ratios the project's targets are stated in.</summary>
public static class Report
{
    public static void Print(IReadOnlyList<StepMeasurement> ours, IReadOnlyList<StepMeasurement> baseline, double matmulPeak, BenchmarkOptions o)
    {
        var c = CultureInfo.InvariantCulture;
        Console.WriteLine();
        Console.WriteLine($"GPT-2 small architecture ({o.Layers} layers, 768 wide, vocab 50257), batch {o.Batch} x {o.Sequence} tokens, fp32, AdamW, median of {o.Steps} steps x {o.Rounds} round(s)");
        Console.WriteLine($"{"implementation",-34}{"mode",-6}{"step s",9}{"tokens/s",10}{"peak RSS MB",13}{"trainable",13}{"GFLOP/s",9}{"% peak",8}");
        foreach (var m in ours.Concat(baseline))
        {
            var flops = ours.First(x => x.Mode == m.Mode).StepFlops;
            var rate = flops / m.MedianStepSeconds;
            Console.WriteLine(string.Create(c, $"{m.Implementation,-34}{m.Mode,-6}{m.MedianStepSeconds,9:F3}{m.TokensPerSecond,10:F0}{m.PeakRssMb,13:F0}{m.TrainableParameters,13:N0}{rate / 1e9,9:F1}{100 * rate / matmulPeak,7:F1}%"));
        }
        var lora = ours.First(m => m.Mode == "lora");
        var full = ours.First(m => m.Mode == "full");
        Console.WriteLine();
        Console.WriteLine("memory breakdown (MB)        frozen weights   gradients   optimizer state   activations+other   peak RSS");
        foreach (var m in ours)
            Console.WriteLine(string.Create(c, $"  {m.Mode,-26}{m.FrozenWeightsMb,15:F1}{m.GradientsMb,12:F1}{m.OptimizerStateMb,18:F1}{m.ActivationsMb,20:F1}{m.PeakRssMb,11:F0}"));
        Console.WriteLine("  (gradients = 4 B x trainable; AdamW state = 2 x 4 B x trainable; activations+other = peak RSS - RSS after load - gradients - optimizer state)");
        Console.WriteLine();
        Console.WriteLine(string.Create(c, $"LoRA gradients + optimizer state = {100 * (lora.GradientsMb + lora.OptimizerStateMb) / (full.GradientsMb + full.OptimizerStateMb):F2}% of full fine-tuning's (target < 2%)"));
        Console.WriteLine(string.Create(c, $"LoRA peak RSS = {100 * lora.PeakRssMb / full.PeakRssMb:F1}% of full fine-tuning's (target <= 60%)"));
        foreach (var b in baseline)
        {
            var mine = ours.First(m => m.Mode == b.Mode);
            Console.WriteLine(string.Create(c, $"{b.Mode}: LoraDsl tokens/s / PyTorch tokens/s = {mine.TokensPerSecond / b.TokensPerSecond:F2}x{(b.Mode == "lora" ? " (target >= 1.2x)" : "")}; peak RSS {mine.PeakRssMb:F0} vs {b.PeakRssMb:F0} MB"));
        }
    }
}
