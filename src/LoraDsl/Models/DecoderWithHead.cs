using LoraDsl.Modules;
using static TorchSharp.torch;

namespace LoraDsl.Models;

/// <summary>
/// A causal language model as a decoder (the family's own: GPT-2's <c>transformer</c>, LLaMA's <c>model</c>) plus
/// <c>lm_head</c>: the head, its tying to the input embeddings, the hidden-state forward and replacing the head by a
/// LoRA or modules_to_save wrapper live here once (torchtune's TransformerDecoder + output projection).
/// </summary>
internal abstract class DecoderWithHead : PretrainedModel, IModuleHost, ITiedWeights, ICausalLanguageModel, IInputEmbeddings
{
    const string HeadName = "lm_head";

    // Registered by AttachHead after the family's RegisterComponents, so the state dict lists it after the decoder.
    nn.Module<Tensor, Tensor>? lm_head;

    protected DecoderWithHead(string name, ModelConfig config) : base(name, config) { }

    /// <summary>The decoder's token embedding (<c>wte</c>, <c>embed_tokens</c>), which a tied head shares.</summary>
    public abstract TorchSharp.Modules.Embedding InputEmbeddings { get; }

    /// <summary>config.json's tie_word_embeddings: lm_head.weight is the embedding table.</summary>
    protected abstract bool TieWordEmbeddings { get; }

    /// <summary>The decoder's final hidden states [batch, seq, hidden]; <paramref name="checkpointLayers"/> recomputes layers in backward.</summary>
    protected abstract Tensor ForwardDecoder(ModelInputs inputs, bool checkpointLayers);

    /// <summary>Creates <c>lm_head</c> [vocab, hidden] without bias, sharing <see cref="InputEmbeddings"/>' weight when tied; call once, after RegisterComponents.</summary>
    protected void AttachHead(long hiddenSize, long vocabSize, ScalarType dtype, Device device)
    {
        var head = nn.Linear(hiddenSize, vocabSize, hasBias: false, device: device, dtype: dtype);
        if (TieWordEmbeddings) head.weight = InputEmbeddings.weight!;
        lm_head = head;
        register_module(HeadName, head);
    }

    public IReadOnlyList<string> TiedKeys => TieWordEmbeddings ? [HeadName + ".weight"] : [];

    public override bool GradientCheckpointing { get; set; }

    public override ModelTask Task => ModelTask.CausalLanguageModeling;

    /// <summary>Gemma 2's final logit soft-cap; null (none) for the other families.</summary>
    public virtual double? FinalLogitSoftcap => null;

    public override Tensor Forward(ModelInputs inputs)
    {
        using var hidden = ForwardHidden(inputs);
        return ((ICausalLanguageModel)this).Softcap(UpcastLinear.Call(OutputHead, hidden));
    }

    public Tensor ForwardHidden(ModelInputs inputs) => ForwardDecoder(inputs, GradientCheckpointing && training);

    public nn.Module<Tensor, Tensor> OutputHead => lm_head ?? throw new InvalidOperationException($"{GetType().Name} has no lm_head yet (AttachHead was not called).");

    public nn.Module<Tensor, Tensor> GetChild(string name) =>
        name == HeadName ? OutputHead : throw new ModuleNotFoundException($"{GetType().Name} has no replaceable child '{name}' (only lm_head).");

    public nn.Module<Tensor, Tensor> ReplaceChild(string name, nn.Module<Tensor, Tensor> replacement)
    {
        var old = GetChild(name);
        this.SwapRegisteredChild(name, replacement);
        lm_head = replacement;
        return old;
    }
}
