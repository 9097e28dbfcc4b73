using static TorchSharp.torch;

namespace LoraDsl.Models.Gpt2;

/// <summary>GPT-2 language model: <c>transformer.*</c> plus <c>lm_head</c> tied to <c>transformer.wte.weight</c>.</summary>
internal sealed class Gpt2LMHeadModel : DecoderWithHead
{
    readonly Gpt2Model transformer;

    public Gpt2LMHeadModel(Gpt2Config config, ScalarType dtype = ScalarType.Float32, Device? device = null)
        : base(nameof(Gpt2LMHeadModel), config)
    {
        device ??= CPU;
        Gpt2Config = config;
        transformer = new Gpt2Model(config, dtype, device);
        RegisterComponents();
        AttachHead(config.HiddenSize, config.VocabSize, dtype, device);
    }

    public Gpt2Config Gpt2Config { get; }

    public override TorchSharp.Modules.Embedding InputEmbeddings => transformer.Wte;

    protected override bool TieWordEmbeddings => Gpt2Config.TieWordEmbeddings;

    protected override Tensor ForwardDecoder(ModelInputs inputs, bool checkpointLayers) => transformer.Forward(inputs, checkpointLayers);
}
