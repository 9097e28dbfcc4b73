using System.Globalization;
using static TorchSharp.torch;

namespace LoraDsl.Lora;

/// <summary>Counts of trainable and all parameters, printed as PEFT's print_trainable_parameters does.</summary>
public readonly record struct TrainableParameterReport(long Trainable, long Total)
{
    public double Percent => Total == 0 ? 0 : 100.0 * Trainable / Total;

    /// <summary>Counts each parameter once, even when shared by several modules (tied weights).</summary>
    public static TrainableParameterReport Of(nn.Module model)
    {
        long trainable = 0, total = 0;
        foreach (var (_, p) in Models.DistinctParameters.Of(model))
        {
            total += p.numel();
            if (p.requires_grad) trainable += p.numel();
        }
        return new TrainableParameterReport(trainable, total);
    }

    public override string ToString() => string.Create(CultureInfo.InvariantCulture,
        $"trainable params: {Trainable:N0} || all params: {Total:N0} || trainable%: {Percent:F4}");
}
