namespace LoraDsl.Optimization;

/// <summary>LoRA+ (PEFT's <c>create_loraplus_optimizer</c>): B matrices learn <see cref="Ratio"/> times faster than A.</summary>
public sealed record LoraPlusOptions
{
    /// <summary>PEFT <c>loraplus_lr_ratio</c>: η_B / η_A.</summary>
    public double Ratio { get; init; } = 16;

    /// <summary>PEFT <c>loraplus_lr_embedding</c>: the learning rate of LoRA on embeddings; null = PEFT's 1e-6.</summary>
    public double? EmbeddingLearningRate { get; init; }

    /// <summary>PEFT's default for <see cref="EmbeddingLearningRate"/>.</summary>
    public const double DefaultEmbeddingLearningRate = 1e-6;

    public void Validate()
    {
        if (!(Ratio > 0) || double.IsInfinity(Ratio))
            throw new ArgumentException($"LoRA+ ratio must be a positive finite number, got {Ratio}.");
        if (EmbeddingLearningRate is { } lr && (!(lr > 0) || double.IsInfinity(lr)))
            throw new ArgumentException($"LoRA+ embedding learning rate must be a positive finite number when set, got {lr}.");
    }
}
