using LoraDsl.Generation;
using LoraDsl.Modules;
using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace LoraDsl.Models.Llama;

/// <summary>The decoder stack without the head: embed_tokens, layers, norm (HF's LlamaModel / Qwen3Model / Phi3Model / Gemma2Model, prefix "model").</summary>
internal sealed class LlamaModel : nn.Module, IModuleHost
{
    readonly LlamaConfig config;
    // The token lookup forward calls: the embedding, or a LoRA wrapper around it.
    nn.Module<Tensor, Tensor> embed_tokens;
    readonly Embedding tokenEmbedding;
    readonly ModuleList<LlamaDecoderLayer> layers = new();
    readonly RmsNorm norm;

    public LlamaModel(LlamaConfig config, ScalarType dtype, Device device) : base(nameof(LlamaModel))
    {
        this.config = config;
        var embedding = nn.Embedding(config.VocabSize, config.HiddenSize, device: device, dtype: dtype);
        embed_tokens = embedding;
        for (var i = 0; i < config.NumLayers; i++) layers.Add(new LlamaDecoderLayer(config, dtype, device));
        norm = new RmsNorm(config.HiddenSize, config.RmsNormEps, dtype, device, config.GemmaStyle);
        RegisterComponents();
        // Assigned after registration so it is not registered twice; it stays the weight's owner when embed_tokens is wrapped.
        tokenEmbedding = embedding;
    }

    /// <summary>The token embedding (its weight is lm_head's when tied), also when a LoRA wrapper sits in its place.</summary>
    public Embedding EmbedTokens => tokenEmbedding;

    public nn.Module<Tensor, Tensor> GetChild(string name) =>
        name == "embed_tokens" ? embed_tokens : throw new ModuleNotFoundException($"LlamaModel has no replaceable child '{name}' (only embed_tokens).");

    public nn.Module<Tensor, Tensor> ReplaceChild(string name, nn.Module<Tensor, Tensor> replacement)
    {
        var old = GetChild(name);
        this.SwapRegisteredChild(name, replacement);
        embed_tokens = replacement;
        return old;
    }

    /// <summary>Final hidden states [batch, seq, hidden]; <paramref name="checkpointLayers"/> recomputes each layer in backward.</summary>
    public Tensor Forward(ModelInputs inputs, bool checkpointLayers = false)
    {
        using var scope = NewDisposeScope();
        var ids = inputs.InputIds;
        var (batch, seq) = (ids.shape[0], ids.shape[1]);
        var cache = inputs.Cache;
        var past = cache?.Length ?? 0;
        var device = tokenEmbedding.weight!.device;
        var padding = CausalMask.FullPaddingMask(inputs.AttentionMask, batch, seq, past, device);
        var positions = inputs.PositionIds?.to(device) ?? CausalMask.PositionIds(batch, seq, past, padding, device);
        var hidden = embed_tokens.call(ids.to(device));
        // Gemma: embeddings × √hidden, the factor rounded to the embedding dtype first (HF's normalizer).
        if (config.GemmaStyle) hidden = hidden * tensor(Math.Sqrt(config.HiddenSize), hidden.dtype, device);
        // One mask per distinct window and one cos/sin per RoPE base: Gemma alternates sliding and global layers.
        var masks = new Dictionary<int, (Tensor? Mask, bool IsCausal)>();
        var rotations = new Dictionary<bool, (Tensor Cos, Tensor Sin)>();
        for (var i = 0; i < layers.Count; i++)
        {
            var layer = layers[i];
            var index = i;
            var window = config.WindowOf(i);
            if (!masks.TryGetValue(window ?? 0, out var masking))
                masks[window ?? 0] = masking = CausalMask.Build(batch, seq, past, padding, window, device, inputs.PackedSegments);
            var local = config.UsesLocalRope(i);
            if (!rotations.TryGetValue(local, out var rotation))
                rotations[local] = rotation = LlamaRotaryEmbedding.CosSin(positions, config, hidden.dtype, local);
            var (mask, isCausal) = masking;
            var (cos, sin) = rotation;
            hidden = checkpointLayers && cache is null
                ? ActivationCheckpoint.Run(layer, (h, c) => layer.Forward(h, c[0]!, c[1]!, c[2], isCausal, null, index), hidden, cos, sin, mask)
                : layer.Forward(hidden, cos, sin, mask, isCausal, cache, i);
        }
        return norm.call(hidden).MoveToOuterDisposeScope();
    }
}
