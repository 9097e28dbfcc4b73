using LoraDsl.Lora;
using LoraDsl.Models;

namespace LoraDsl.AdaLora;

/// <summary>Puts AdaLoRA adapters (rank init_r, <see cref="AdaLoraVariant"/>) on the targets, as PEFT's AdaLoraModel does.</summary>
public static class AdaLoraInjector
{
    /// <summary>
    /// LoRA's alpha, dropout, bias and modules_to_save apply; its rank is replaced by init_r. DoRA cannot be
    /// combined with AdaLoRA (PEFT refuses it too).
    /// </summary>
    public static LoraInjection Inject(PretrainedModel model, LoraOptions lora, AdaLoraOptions options, IEnumerable<LoraTarget> targets)
    {
        options.Validate();
        if (lora.UseDora) throw new ArgumentException("AdaLoRA does not support DoRA: turn one of them off (PEFT refuses the combination too).");
        // The AdaLoRA files (AdaLoraAdapterWriter) have no place for the rows yet; refusing beats saving an adapter without them.
        if (lora.TrainableTokens is not null)
            throw new ArgumentException("AdaLoRA with trainable tokens (trainable_token_indices) is not supported by LoraDsl yet: use plain LoRA for a run that trains token rows.");
        return LoraInjector.Inject(model, lora with { Rank = options.InitR }, targets, AdaLoraVariant.Instance);
    }
}
