using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace LoraDsl.Models.Bert;

/// <summary>Word + absolute position + token type embeddings, then LayerNorm and dropout.</summary>
internal sealed class BertEmbeddings : nn.Module<Tensor, Tensor?, Tensor>
{
    readonly Embedding word_embeddings;
    readonly Embedding position_embeddings;
    readonly Embedding token_type_embeddings;
    readonly LayerNorm LayerNorm;
    readonly Dropout dropout;
    readonly int maxPositions;

    /// <summary>The token table alone (NEFTune's noise goes on its output, before positions are added).</summary>
    public Embedding WordEmbeddings => word_embeddings;

    public BertEmbeddings(BertConfig config) : base("embeddings")
    {
        word_embeddings = nn.Embedding(config.VocabSize, config.HiddenSize, padding_idx: config.PadTokenId);
        position_embeddings = nn.Embedding(config.MaxPositionEmbeddings, config.HiddenSize);
        token_type_embeddings = nn.Embedding(config.TypeVocabSize, config.HiddenSize);
        LayerNorm = nn.LayerNorm(config.HiddenSize, config.LayerNormEps);
        dropout = nn.Dropout(config.HiddenDropoutProb);
        maxPositions = config.MaxPositionEmbeddings;
        RegisterComponents();
    }

    /// <summary><paramref name="inputIds"/> [B,T] int64; <paramref name="tokenTypeIds"/> [B,T] or null for all zeros.</summary>
    public override Tensor forward(Tensor inputIds, Tensor? tokenTypeIds)
    {
        var length = inputIds.shape[1];
        if (length > maxPositions)
            throw new ArgumentException($"Sequence length {length} exceeds max_position_embeddings {maxPositions}.", nameof(inputIds));
        using var scope = NewDisposeScope();
        var positions = arange(length, dtype: ScalarType.Int64, device: inputIds.device).unsqueeze(0);
        var types = tokenTypeIds ?? zeros_like(inputIds);
        var sum = word_embeddings.call(inputIds) + position_embeddings.call(positions) + token_type_embeddings.call(types);
        return dropout.call(LayerNorm.call(sum)).MoveToOuterDisposeScope();
    }
}
