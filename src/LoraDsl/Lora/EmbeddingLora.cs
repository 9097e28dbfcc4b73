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

    /// <summary>
    /// PEFT's embedding LoRA is plain: no DoRA, no PiSSA/OLoRA, no other variant (AdaLoRA), and no output ranges.
    /// The texts are the compile-time LORA029's (<see cref="Dsl.DslMessages"/>).
    /// </summary>
    public static void Check(LoraBaseLayer baseLayer, LoraOptions options, bool ranged, string path, ILoraVariant? variant = null)
    {
        if (!baseLayer.TakesTokenIds) return;
        if (options.UseDora) throw new ArgumentException(Format(Dsl.DslMessages.DoraOnEmbedding, path));
        if (options.MutatesBase) throw new ArgumentException(Format(Dsl.DslMessages.ResidualInitOnEmbedding, path, Dsl.ChoiceSpelling.Of(options.Init.ToString())));
        if (variant is AdaLora.AdaLoraVariant) throw new ArgumentException(Format(Dsl.DslMessages.AdaLoraOnEmbedding, path));
        if (variant is not (null or EmbeddingLora))
            throw new ArgumentException($"Module '{path}' is an Embedding: LoRA there is plain (as in PEFT), so the {variant.Name} variant cannot adapt it; drop it from the targets.");
        if (ranged) throw new ArgumentException(Format(Dsl.DslMessages.SliceOfEmbedding, path));
    }

    static string Format(string format, params object[] arguments) => string.Format(System.Globalization.CultureInfo.InvariantCulture, format, arguments);

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
