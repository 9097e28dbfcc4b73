using TorchSharp;
using static TorchSharp.torch;

namespace LoraDsl.Models.Bert;

/// <summary>The BERT encoder with Hugging Face module paths: <c>embeddings</c>, <c>encoder.layer.{i}</c>, <c>pooler</c>.</summary>
internal sealed class BertModel : nn.Module
{
    readonly BertEmbeddings embeddings;
    readonly BertEncoder encoder;
    readonly BertPooler pooler;

    public BertModel(BertConfig config) : base("bert")
    {
        Config = config;
        embeddings = new BertEmbeddings(config);
        encoder = new BertEncoder(config);
        pooler = new BertPooler(config);
        RegisterComponents();
    }

    public BertConfig Config { get; }

    public BertEmbeddings Embeddings => embeddings;

    /// <summary>The last hidden state [B,T,H]; padded positions (attention mask 0) are computed but never attended to.</summary>
    public Tensor Encode(ModelInputs inputs) => Encode(inputs, checkpointLayers: false);

    /// <summary>As <see cref="Encode(ModelInputs)"/>; <paramref name="checkpointLayers"/> recomputes each layer in backward.</summary>
    public Tensor Encode(ModelInputs inputs, bool checkpointLayers)
    {
        if (inputs.Cache is not null)
            throw new ArgumentException("BERT is an encoder: ModelInputs.Cache must be null.", nameof(inputs));
        using var scope = NewDisposeScope();
        var hidden = embeddings.call(inputs.InputIds, inputs.TokenTypeIds);
        var mask = inputs.AttentionMask is { } m ? AdditiveMask(m, hidden.dtype) : null;
        return encoder.Forward(hidden, mask, checkpointLayers).MoveToOuterDisposeScope();
    }

    /// <summary>The pooled output [B,H] from <see cref="Encode"/>'s result.</summary>
    public Tensor Pool(Tensor lastHiddenState) => pooler.call(lastHiddenState);

    /// <summary>[B,T] of 1/0 to [B,1,1,T] of 0 / dtype-min, added to the attention scores (as Hugging Face does).</summary>
    static Tensor AdditiveMask(Tensor attentionMask, ScalarType dtype)
    {
        if (attentionMask.dim() != 2)
            throw new ArgumentException($"Attention mask must be [batch, seq], got [{string.Join(", ", attentionMask.shape)}].", nameof(attentionMask));
        var keep = attentionMask.to(dtype).unsqueeze(1).unsqueeze(2);
        return (1.0 - keep) * finfo(dtype).min;
    }
}
