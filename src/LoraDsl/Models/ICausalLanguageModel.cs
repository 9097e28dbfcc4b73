using static TorchSharp.torch;

namespace LoraDsl.Models;

/// <summary>
/// A causal language model that can stop before its output projection, so the loss can be computed
/// from the final hidden states without materialising [tokens, vocab] logits.
/// </summary>
internal interface ICausalLanguageModel
{
    /// <summary>Final hidden states [batch, seq, hidden], the input of <see cref="OutputHead"/>.</summary>
    Tensor ForwardHidden(ModelInputs inputs);

    /// <summary>The module that maps hidden states to logits (<c>lm_head</c>; a wrapper once LoRA or modules_to_save replaced it).</summary>
    nn.Module<Tensor, Tensor> OutputHead { get; }

    /// <summary>Gemma 2's final_logit_softcapping c: the logits are c·tanh(head output / c); null = none.</summary>
    double? FinalLogitSoftcap => null;

    /// <summary><paramref name="logits"/> (the head's output, consumed) after <see cref="FinalLogitSoftcap"/>.</summary>
    Tensor Softcap(Tensor logits)
    {
        if (FinalLogitSoftcap is not { } cap) return logits;
        using (logits)
        using (var scaled = logits / cap)
        using (var bounded = scaled.tanh())
            return bounded * cap;
    }
}
