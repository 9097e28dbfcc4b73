using static TorchSharp.torch;

namespace LoraDsl.Lora;

/// <summary>
/// LoRA on a token embedding, as PEFT's lora.Embedding: y = E[ids] + s·(Aᵀ[ids])·Bᵀ, A [r, vocab] starts at
/// zero and B [dim, r] ~ N(0, 1); no dropout (PEFT applies none to embeddings). Merging is plain LoRA's.
/// </summary>
sealed class EmbeddingLora : ILoraVariant
{
    public static EmbeddingLora Instance { get; } = new();

    public string Name => "embedding";

    public bool MergesAdditively => true;

    /// <summary>PEFT's embedding LoRA is plain: no DoRA, no PiSSA/OLoRA, and no output ranges.</summary>
    public static void Check(LoraBaseLayer baseLayer, LoraOptions options, bool ranged, string path)
    {
        if (baseLayer.TakesTokenIds && (options.UseDora || options.MutatesBase || ranged))
            throw new ArgumentException($"Module '{path}' is an embedding: LoRA there is plain (no DoRA, PiSSA or OLoRA, no output ranges), as in PEFT.");
    }

    public void Initialize(LoraAdapter adapter, LoraBaseLayer baseLayer)
    {
        using var _ = no_grad();
        adapter.A.zero_();
        adapter.B.normal_();
    }

    public Tensor Forward(LoraAdapter adapter, LoraBaseLayer baseLayer, Tensor input, Tensor baseOutput)
    {
        using var product = adapter.Product(input);
        return product.mul(adapter.Scaling);
    }

    public Tensor Merge(LoraAdapter adapter, Tensor weight)
    {
        using var delta = adapter.DeltaWeight();
        return weight.add(delta);
    }

    public Tensor Unmerge(LoraAdapter adapter, Tensor mergedWeight)
    {
        using var delta = adapter.DeltaWeight();
        return mergedWeight.sub(delta);
    }
}
