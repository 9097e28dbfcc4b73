using LoraDsl.Modules;
using TorchSharp;
using static TorchSharp.torch;

namespace LoraDsl.Models.Llama;

/// <summary>
/// LLaMA / Mistral / Qwen2 / Qwen3 / Phi-3 / Gemma 2 / Gemma 3 causal language model: <c>model.*</c> plus <c>lm_head</c>, which shares
/// <c>model.embed_tokens.weight</c> when tie_word_embeddings is set.
/// </summary>
internal sealed class LlamaForCausalLM : PretrainedModel, IModuleHost, ITiedWeights, ICausalLanguageModel, IInputEmbeddings
{
    readonly LlamaModel model;
    nn.Module<Tensor, Tensor> lm_head;

    public LlamaForCausalLM(LlamaConfig config, ScalarType dtype = ScalarType.Float32, Device? device = null)
        : base(nameof(LlamaForCausalLM), config)
    {
        device ??= CPU;
        LlamaConfig = config;
        model = new LlamaModel(config, dtype, device);
        var head = nn.Linear(config.HiddenSize, config.VocabSize, hasBias: false, device: device, dtype: dtype);
        if (config.TieWordEmbeddings) head.weight = model.EmbedTokens.weight!;
        lm_head = head;
        RegisterComponents();
    }

    public LlamaConfig LlamaConfig { get; }

    public TorchSharp.Modules.Embedding InputEmbeddings => model.EmbedTokens;

    public IReadOnlyList<string> TiedKeys => LlamaConfig.TieWordEmbeddings ? ["lm_head.weight"] : [];

    public override bool GradientCheckpointing { get; set; }

    public override ModelTask Task => ModelTask.CausalLanguageModeling;

    public double? FinalLogitSoftcap => LlamaConfig.FinalLogitSoftcap;

    public override Tensor Forward(ModelInputs inputs)
    {
        using var hidden = model.Forward(inputs, GradientCheckpointing && training);
        var logits = lm_head.call(hidden);
        return ((ICausalLanguageModel)this).Softcap(logits);
    }

    public Tensor ForwardHidden(ModelInputs inputs) => model.Forward(inputs, GradientCheckpointing && training);

    public nn.Module<Tensor, Tensor> OutputHead => lm_head;

    public nn.Module<Tensor, Tensor> GetChild(string name) =>
        name == "lm_head" ? lm_head : throw new ModuleNotFoundException($"LlamaForCausalLM has no replaceable child '{name}' (only lm_head).");

    public nn.Module<Tensor, Tensor> ReplaceChild(string name, nn.Module<Tensor, Tensor> replacement)
    {
        var old = GetChild(name);
        this.SwapRegisteredChild(name, replacement);
        lm_head = replacement;
        return old;
    }
}
