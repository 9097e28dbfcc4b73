using LoraDsl.Modules;
using TorchSharp;
using static TorchSharp.torch;

namespace LoraDsl.Models.Gpt2;

/// <summary>GPT-2 language model: <c>transformer.*</c> plus <c>lm_head</c> tied to <c>transformer.wte.weight</c>.</summary>
internal sealed class Gpt2LMHeadModel : PretrainedModel, IModuleHost, ITiedWeights, ICausalLanguageModel, IInputEmbeddings
{
    readonly Gpt2Model transformer;
    nn.Module<Tensor, Tensor> lm_head;

    public Gpt2LMHeadModel(Gpt2Config config, ScalarType dtype = ScalarType.Float32, Device? device = null)
        : base(nameof(Gpt2LMHeadModel), config)
    {
        device ??= CPU;
        Gpt2Config = config;
        transformer = new Gpt2Model(config, dtype, device);
        var head = nn.Linear(config.HiddenSize, config.VocabSize, hasBias: false, device: device, dtype: dtype);
        if (config.TieWordEmbeddings) head.weight = transformer.Wte.weight!;
        lm_head = head;
        RegisterComponents();
    }

    public Gpt2Config Gpt2Config { get; }

    public TorchSharp.Modules.Embedding InputEmbeddings => transformer.Wte;

    public IReadOnlyList<string> TiedKeys => Gpt2Config.TieWordEmbeddings ? ["lm_head.weight"] : [];

    public override bool GradientCheckpointing { get; set; }

    public override ModelTask Task => ModelTask.CausalLanguageModeling;

    public override Tensor Forward(ModelInputs inputs)
    {
        using var hidden = transformer.Forward(inputs, GradientCheckpointing && training);
        return lm_head.call(hidden);
    }

    public Tensor ForwardHidden(ModelInputs inputs) => transformer.Forward(inputs, GradientCheckpointing && training);

    public nn.Module<Tensor, Tensor> OutputHead => lm_head;

    public nn.Module<Tensor, Tensor> GetChild(string name) =>
        name == "lm_head" ? lm_head : throw new ModuleNotFoundException($"Gpt2LMHeadModel has no replaceable child '{name}' (only lm_head).");

    public nn.Module<Tensor, Tensor> ReplaceChild(string name, nn.Module<Tensor, Tensor> replacement)
    {
        var old = GetChild(name);
        this.SwapRegisteredChild(name, replacement);
        lm_head = replacement;
        return old;
    }
}
