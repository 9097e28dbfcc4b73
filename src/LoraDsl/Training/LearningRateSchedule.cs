namespace LoraDsl.Training;

/// <summary>
/// Linear warmup from 0 to the peak, then linear, cosine or constant decay to the last step, as a
/// pure function of the optimiser step (Hugging Face's get_*_schedule_with_warmup curves).
/// </summary>
public sealed class LearningRateSchedule
{
    public LearningRateSchedule(double peak, int warmupSteps, int totalSteps, LearningRateDecay decay)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(warmupSteps);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(totalSteps);
        Peak = peak;
        WarmupSteps = Math.Min(warmupSteps, totalSteps);
        TotalSteps = totalSteps;
        Decay = decay;
    }

    /// <summary>Warmup from <see cref="TrainingOptions.WarmupSteps"/>, else the fraction of total steps (rounded up).</summary>
    public static LearningRateSchedule From(TrainingOptions options, int totalSteps) =>
        new(options.LearningRate,
            options.WarmupSteps ?? (int)Math.Ceiling(options.WarmupFraction * totalSteps),
            totalSteps,
            options.Decay);

    public double Peak { get; }
    public int WarmupSteps { get; }
    public int TotalSteps { get; }
    public LearningRateDecay Decay { get; }

    /// <summary>The learning rate of optimiser step <paramref name="step"/> (0-based).</summary>
    public double At(int step)
    {
        if (step < WarmupSteps) return Peak * step / WarmupSteps;
        if (Decay == LearningRateDecay.Constant) return Peak;
        var decaySteps = Math.Max(1, TotalSteps - WarmupSteps);
        var progress = Math.Clamp((double)(step - WarmupSteps) / decaySteps, 0, 1);
        return Decay switch
        {
            LearningRateDecay.Linear => Peak * (1 - progress),
            LearningRateDecay.Cosine => Peak * 0.5 * (1 + Math.Cos(Math.PI * progress)),
            _ => throw new ArgumentOutOfRangeException(nameof(Decay), Decay, "Unknown decay."),
        };
    }
}
