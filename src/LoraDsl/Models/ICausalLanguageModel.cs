using static TorchSharp.torch;

namespace LoraDsl.Models;

/// <summary>
/// A causal language model that can stop before its output projection, so the loss can be computed
/// from the final hidden states without materialising [tokens, vocab] logits.
/// </summary>
public interface ICausalLanguageModel
{
    /// <summary>Final hidden states [batch, seq, hidden], the input of <see cref="OutputHead"/>.</summary>
    Tensor ForwardHidden(ModelInputs inputs);

    /// <summary>The module that maps hidden states to logits (<c>lm_head</c>; a wrapper once LoRA or modules_to_save replaced it).</summary>
    nn.Module<Tensor, Tensor> OutputHead { get; }
}
