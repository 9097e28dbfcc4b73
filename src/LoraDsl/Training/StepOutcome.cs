namespace LoraDsl.Training;

/// <summary>What one optimizer step's forward and backward gave: the mean loss, the gradient norm before clipping, the tokens seen.</summary>
public readonly record struct StepOutcome(double Loss, double GradientNorm, int Tokens)
{
    /// <summary>False when the loss or the gradient is NaN or infinite: the step must not update anything.</summary>
    public bool IsFinite => double.IsFinite(Loss) && double.IsFinite(GradientNorm);

    /// <summary>Why training stops at <paramref name="step"/> (1-based) of <paramref name="epoch"/> (1-based), for the run's message.</summary>
    public string DivergenceReason(int step, int epoch)
    {
        var what = !double.IsFinite(Loss) ? $"loss became {Loss}" : $"gradient norm became {GradientNorm}";
        return $"Training diverged: {what} at step {step} (epoch {epoch}); no update was applied.";
    }
}
