using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace LoraDsl.Lora;

/// <summary>
/// A token embedding seen as a linear map of one-hot ids: in = vocabulary, out = width, W [out, in] = weightᵀ
/// (the table [vocab, dim] is stored transposed). So PEFT's lora_embedding_A [r, vocab] and lora_embedding_B
/// [dim, r] are A and B of the usual shapes, and merging is W += s·BA as for any layer.
/// </summary>
sealed class EmbeddingBaseLayer(Embedding embedding)
    : LoraBaseLayer(embedding, embedding.weight!.shape[0], embedding.weight!.shape[1], fanInFanOut: false, bias: null, embedding.weight!.device)
{
    public override bool TakesTokenIds => true;

    public override Tensor WeightOutIn()
    {
        using var _ = no_grad();
        using var fp32 = embedding.weight!.detach().to(ScalarType.Float32);
        return fp32.t().contiguous();
    }

    public override void SetWeightOutIn(Tensor weightOutIn)
    {
        using var _ = no_grad();
        using var stored = weightOutIn.t();
        embedding.weight!.copy_(stored);
    }
}
