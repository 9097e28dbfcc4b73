using static TorchSharp.torch;

namespace LoraDsl.Models.Llama;

/// <summary>
/// LLaMA / Mistral / Qwen2 / Qwen3 / Phi-3 / Gemma 2 / Gemma 3 causal language model: <c>model.*</c> plus <c>lm_head</c>, which shares
/// <c>model.embed_tokens.weight</c> when tie_word_embeddings is set.
/// </summary>
internal sealed class LlamaForCausalLM : DecoderWithHead
{
    readonly LlamaModel model;

    public LlamaForCausalLM(LlamaConfig config, ScalarType dtype = ScalarType.Float32, Device? device = null)
        : base(nameof(LlamaForCausalLM), config)
    {
        device ??= CPU;
        LlamaConfig = config;
        model = new LlamaModel(config, dtype, device);
        RegisterComponents();
        AttachHead(config.HiddenSize, config.VocabSize, dtype, device);
    }

    public LlamaConfig LlamaConfig { get; }

    public override TorchSharp.Modules.Embedding InputEmbeddings => model.EmbedTokens;

    protected override bool TieWordEmbeddings => LlamaConfig.TieWordEmbeddings;

    public override double? FinalLogitSoftcap => LlamaConfig.FinalLogitSoftcap;

    protected override Tensor ForwardDecoder(ModelInputs inputs, bool checkpointLayers) => model.Forward(inputs, checkpointLayers);
}
