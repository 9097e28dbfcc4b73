using static TorchSharp.torch;

namespace LoraDsl.Tests.TestCheckpoints;

/// <summary>Shape and storage of a tiny LLaMA-family checkpoint written by <see cref="TinyCheckpoints.WriteLlama"/>.</summary>
public sealed record TinyLlamaSpec
{
    public string ModelType { get; init; } = "llama";
    public int Hidden { get; init; } = 32;
    public int Layers { get; init; } = 2;
    public int Heads { get; init; } = 4;
    public int KvHeads { get; init; } = 2;
    public int Intermediate { get; init; } = 64;
    public int Vocab { get; init; } = TinyCheckpoints.ByteLevelVocabSize;
    public bool TieWordEmbeddings { get; init; }
    public int? SlidingWindow { get; init; }
    public double RopeTheta { get; init; } = 10000;
    public ScalarType StoredDtype { get; init; } = ScalarType.Float32;
    /// <summary>Write model.safetensors.index.json with two shards instead of one file.</summary>
    public bool Sharded { get; init; }
    /// <summary>Store keys without the "model." prefix (a base-model checkpoint).</summary>
    public bool WithoutPrefix { get; init; }
    /// <summary>Also write a SentencePiece tokenizer.model (LLaMA layout); TokenizerLoader then prefers it.</summary>
    public bool SentencePieceTokenizer { get; init; }
    public long Seed { get; init; } = 1;
}
