namespace LoraDsl.Generation;

/// <summary>Decoding settings for <see cref="TextGenerator"/>; the defaults decode greedily.</summary>
public sealed record GenerationOptions
{
    public int MaxNewTokens { get; init; } = 32;

    /// <summary>0 (default) decodes greedily; above 0 samples from softmax(logits / temperature).</summary>
    public double Temperature { get; init; }

    /// <summary>Sample only among the k most likely tokens; 0 turns it off.</summary>
    public int TopK { get; init; }

    /// <summary>Sample only among the most likely tokens whose probabilities sum to p; 1 turns it off.</summary>
    public double TopP { get; init; } = 1.0;

    /// <summary>Seed of the sampler, for repeatable sampling; null draws one.</summary>
    public ulong? Seed { get; init; }

    /// <summary>Ids that end generation; null uses the tokenizer's EOS, then config.json's eos_token_id.</summary>
    public IReadOnlyList<long>? EosTokenIds { get; init; }
}
