using TorchSharp;
using static TorchSharp.torch;

namespace LoraDsl.Models;

/// <summary>
/// The root of every model loaded from a Hugging Face folder. Module paths under it equal the
/// Hugging Face state-dict names (<c>model.layers.3.self_attn.q_proj</c>), so a LoRA target means
/// the same here as in PEFT.
/// </summary>
public abstract class PretrainedModel : nn.Module
{
    protected PretrainedModel(string name, ModelConfig config) : base(name) => Config = config;

    public ModelConfig Config { get; }

    public abstract ModelTask Task { get; }

    /// <summary>
    /// Logits: [batch, seq, vocab] for <see cref="ModelTask.CausalLanguageModeling"/>,
    /// [batch, labels] for <see cref="ModelTask.SequenceClassification"/>.
    /// </summary>
    public abstract Tensor Forward(ModelInputs inputs);
}
