namespace Benchmark;

/// <summary>
/// Full fp32 fine-tuning of a model too large to run here, computed from its fp32 LoRA row: the same weights and
/// activations, plus a gradient and two AdamW moments per parameter (12 B each), and 3/2 of LoRA's step time
/// (backward computes weight gradients too: 3× forward FLOPs instead of 2×; AdamW's own time not counted).
/// </summary>
public static class FullFineTuning
{
    const double Mb = 1024.0 * 1024.0;

    public static double ComputedPeakMb(StepMeasurement fp32Lora) =>
        fp32Lora.PeakRssMb - fp32Lora.GradientsMb - fp32Lora.OptimizerStateMb + 12.0 * fp32Lora.TotalParameters / Mb;

    public static StepMeasurement Computed(StepMeasurement fp32Lora)
    {
        var step = 1.5 * fp32Lora.MedianStepSeconds;
        var tokensPerStep = fp32Lora.TokensPerSecond * fp32Lora.MedianStepSeconds;
        return fp32Lora with
        {
            Implementation = "computed from fp32 lora",
            Mode = "full",
            MedianStepSeconds = step,
            StepSeconds = [step],
            TokensPerSecond = tokensPerStep / step,
            PeakRssMb = ComputedPeakMb(fp32Lora),
            LoadPeakRssMb = 0,
            TrainableParameters = fp32Lora.TotalParameters,
            FrozenWeightsMb = 0,
            GradientsMb = 4.0 * fp32Lora.TotalParameters / Mb,
            OptimizerStateMb = 8.0 * fp32Lora.TotalParameters / Mb,
            StepFlops = 1.5 * fp32Lora.StepFlops,
            ForwardSeconds = 0,
            Computed = true,
        };
    }
}
