namespace LoraDsl.Neftune;

/// <summary>NEFTune (transformers' <c>neftune_noise_alpha</c>): uniform noise on the input embeddings while training.</summary>
public sealed record NeftuneOptions
{
    /// <summary>Noise scale; the noise is uniform in ±Alpha/√(L·d). The paper uses 5, 10 and 15.</summary>
    public double Alpha { get; init; } = 5;

    public void Validate()
    {
        if (!(Alpha > 0) || double.IsInfinity(Alpha))
            throw new ArgumentException($"NEFTune alpha must be a positive finite number, got {Alpha}.");
    }
}
