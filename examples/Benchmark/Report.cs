using System.Globalization;

namespace Benchmark;

/// <summary>The figures, side by side, with the ratios the project's targets are stated in.</summary>
public static class Report
{
    static readonly CultureInfo C = CultureInfo.InvariantCulture;

    public static void Print(IReadOnlyList<StepMeasurement> ours, IReadOnlyList<StepMeasurement> baseline, MatmulPeaks peaks, BenchmarkOptions o)
    {
        Console.WriteLine();
        Console.WriteLine($"batch {o.Batch} x {o.Sequence} tokens, AdamW, median of {o.Steps} steps x {o.Rounds} round(s); peak RSS is the steps' (reset after load), load peak before it");
        Console.WriteLine($"matmul peaks: fp32 {peaks.Fp32 / 1e9:F1}, bf16 {peaks.Bf16 / 1e9:F1} GFLOP/s; % peak is against the row's own matmul dtype");
        foreach (var model in ours.Select(m => m.Model).Distinct())
        {
            var mine = ours.Where(m => m.Model == model).ToList();
            var theirs = baseline.Where(m => m.Model == model).ToList();
            Console.WriteLine();
            Console.WriteLine($"{model}: {mine[0].TotalParameters:N0} parameters");
            Console.WriteLine($"{"implementation",-36}{"config",-16}{"step s",8}{"tokens/s",10}{"peak RSS",10}{"load peak",11}{"frozen MB",11}{"trainable",13}{"GFLOP/s",9}{"% peak",8}");
            foreach (var m in mine.Concat(theirs))
            {
                var flops = mine.FirstOrDefault(x => x.Mode == m.Mode)?.StepFlops ?? 0;
                var rate = flops / m.MedianStepSeconds;
                Console.WriteLine(string.Create(C, $"{Short(m.Implementation),-36}{m.Label,-16}{m.MedianStepSeconds,8:F3}{m.TokensPerSecond,10:F0}{m.PeakRssMb,10:F0}{m.LoadPeakRssMb,11:F0}{m.FrozenWeightsMb,11:F1}{m.TrainableParameters,13:N0}{rate / 1e9,9:F1}{100 * rate / peaks.For(m.Precision),7:F1}%"));
            }
            Console.WriteLine("  memory (MB)                   after load   gradients   optimizer state   activations+other   peak RSS");
            foreach (var m in mine)
                Console.WriteLine(string.Create(C, $"  {m.Label,-28}{m.RssAfterLoadMb,12:F0}{m.GradientsMb,12:F1}{m.OptimizerStateMb,18:F1}{m.ActivationsMb,20:F0}{m.PeakRssMb,11:F0}"));
            Console.WriteLine("  (gradients = 4 B x trainable; AdamW state = 2 x 4 B x trainable; activations+other = peak RSS - RSS after load - gradients - optimizer state)");
            Console.WriteLine("  step split (s, medians)       forward+loss   backward   AdamW+zero_grad   (the chunked loss finds its gradients in forward)");
            foreach (var m in mine.Where(m => m.ForwardSeconds > 0))
                Console.WriteLine(string.Create(C, $"  {m.Label,-28}{m.ForwardSeconds,14:F3}{m.BackwardSeconds,11:F3}{m.OptimizerSeconds,18:F3}"));
            Targets(mine, theirs, model, peaks);
        }
    }

    static void Targets(List<StepMeasurement> mine, List<StepMeasurement> theirs, string model, MatmulPeaks peaks)
    {
        StepMeasurement? Row(string precision, string mode, bool checkpointing) =>
            mine.FirstOrDefault(m => m.Precision == precision && m.Mode == mode && m.Checkpointing == checkpointing);
        var fp32 = Row("fp32", "lora", false);
        var bf16 = Row("bf16", "lora", false);
        var nf4 = Row("nf4", "lora", false);
        var nf4Ckpt = Row("nf4", "lora", true);
        var full = Row("fp32", "full", false);
        var torchBf16 = theirs.FirstOrDefault(m => m.Precision == "bf16" && m.Mode == "lora");
        var torchFp32 = theirs.FirstOrDefault(m => m.Precision == "fp32" && m.Mode == "lora");
        void Line(string text, double value, double target, bool atLeast) =>
            Console.WriteLine(string.Create(C, $"  {text} = {value:F3} (target {(atLeast ? ">=" : "<=")} {target:G3}): {((atLeast ? value >= target : value <= target) ? "met" : "MISSED")}"));
        Console.WriteLine($"  targets (issue 19), {model}:");
        if (bf16 is not null) Line("bf16 LoRA model FLOP/s / bf16 matmul peak", bf16.StepFlops / bf16.MedianStepSeconds / peaks.Bf16, 0.50, true);
        if (bf16 is not null && torchBf16 is not null) Line("bf16 LoRA tokens/s / PyTorch bf16 autocast tokens/s", bf16.TokensPerSecond / torchBf16.TokensPerSecond, 1.5, true);
        if (fp32 is not null && torchFp32 is not null)
            Console.WriteLine(string.Create(C, $"  fp32 LoRA tokens/s / PyTorch fp32 tokens/s = {fp32.TokensPerSecond / torchFp32.TokensPerSecond:F3} (for reference)"));
        if (nf4 is not null && bf16 is not null) Line("QLoRA step / bf16 LoRA step", nf4.MedianStepSeconds / bf16.MedianStepSeconds, 1.1, false);
        if (nf4Ckpt is not null && fp32 is not null) Line("QLoRA + checkpointing peak RSS / fp32 LoRA peak RSS (target on the 1.1B model)", nf4Ckpt.PeakRssMb / fp32.PeakRssMb, 0.35, false);
        if (nf4Ckpt is not null && full is not null)
            Line($"QLoRA + checkpointing peak RSS / full fine-tuning's{(full.Computed ? " (computed)" : "")} (target on the 1.1B model)", nf4Ckpt.PeakRssMb / full.PeakRssMb, 0.15, false);
        if (nf4 is not null && nf4Ckpt is not null && nf4.ActivationsMb > 0) Line("activations with checkpointing / without (QLoRA)", nf4Ckpt.ActivationsMb / nf4.ActivationsMb, 0.5, false);
        if (nf4 is { QuantizedLayerFp32Bytes: > 0 })
            Console.WriteLine(string.Create(C, $"  NF4 + double-quant bytes / fp32 bytes of the quantised layers = {nf4.QuantizedLayerBytes / nf4.QuantizedLayerFp32Bytes:F3}"));
        if (fp32 is not null && bf16 is not null)
            Console.WriteLine(string.Create(C, $"  bf16 LoRA speed-up over fp32 LoRA (step time ratio) = {fp32.MedianStepSeconds / bf16.MedianStepSeconds:F3}"));
        if (full is { Computed: true })
            Console.WriteLine("  fp32 full is computed, not measured: fp32 LoRA's peak + 12 B x parameters (gradient, two AdamW moments), 1.5 x its step time");
    }

    static string Short(string implementation) => implementation.Length <= 35 ? implementation : implementation[..35];
}
