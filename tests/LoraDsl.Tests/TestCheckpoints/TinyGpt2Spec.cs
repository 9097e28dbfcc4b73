using static TorchSharp.torch;

namespace LoraDsl.Tests.TestCheckpoints;

/// <summary>Shape and storage of a tiny GPT-2 checkpoint written by <see cref="TinyCheckpoints.WriteGpt2"/>.</summary>
public sealed record TinyGpt2Spec
{
    public int Hidden { get; init; } = 32;
    public int Layers { get; init; } = 2;
    public int Heads { get; init; } = 4;
    public int Positions { get; init; } = 64;
    public int Vocab { get; init; } = TinyCheckpoints.ByteLevelVocabSize;
    public ScalarType StoredDtype { get; init; } = ScalarType.Float32;
    /// <summary>Store keys as the real gpt2 checkpoint does: no "transformer." prefix, attn.bias buffers, no lm_head.</summary>
    public bool LikeHubGpt2 { get; init; } = true;
    public long Seed { get; init; } = 2;
}
