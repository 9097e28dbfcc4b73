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

    /// <summary>
    /// While training, recompute each decoder/encoder layer's activations during backward instead of
    /// keeping them (less memory, about one more forward per step). Models without layers to
    /// checkpoint refuse to turn it on.
    /// </summary>
    public virtual bool GradientCheckpointing
    {
        get => false;
        set
        {
            if (value) throw new NotSupportedException($"{GetType().Name} does not support gradient checkpointing.");
        }
    }

    public abstract ModelTask Task { get; }

    /// <summary>
    /// Logits: [batch, seq, vocab] for <see cref="ModelTask.CausalLanguageModeling"/>,
    /// [batch, labels] for <see cref="ModelTask.SequenceClassification"/>.
    /// </summary>
    public abstract Tensor Forward(ModelInputs inputs);
}
