using LoraDsl.Native;
using static TorchSharp.torch;

namespace LoraDsl.Training;

/// <summary>What one optimizer step's forward and backward gave: the mean loss, the gradient norm before clipping, the tokens seen.</summary>
public readonly record struct StepOutcome(double Loss, double GradientNorm, int Tokens)
{
    /// <summary>The outcome of a step whose mean loss is the single value of <paramref name="loss"/>, read on any device (a GPU tensor is copied to the CPU first).</summary>
    public static StepOutcome FromLoss(Tensor loss, double gradientNorm, int tokens) => new(ReadLoss(loss), gradientNorm, tokens);

    /// <summary>The single value of a loss tensor on any device, as the step's loss is read (float precision, as training computes it).</summary>
    public static float ReadLoss(Tensor loss) => HostMemory.Item<float>(loss);

    /// <summary>False when the loss or the gradient is NaN or infinite: the step must not update anything.</summary>
    public bool IsFinite => double.IsFinite(Loss) && double.IsFinite(GradientNorm);

    /// <summary>Why training stops at <paramref name="step"/> (1-based) of <paramref name="epoch"/> (1-based), for the run's message.</summary>
    public string DivergenceReason(int step, int epoch)
    {
        var what = !double.IsFinite(Loss) ? $"loss became {Loss}" : $"gradient norm became {GradientNorm}";
        return $"Training diverged: {what} at step {step} (epoch {epoch}); no update was applied.";
    }
}
