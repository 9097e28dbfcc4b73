using LoraDsl.Modules;
using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace LoraDsl.Models.Gpt2;

/// <summary>GPT-2 without the head: wte, wpe, h.{i}, ln_f (HF's GPT2Model, prefix "transformer").</summary>
internal sealed class Gpt2Model : nn.Module, IModuleHost
{
    readonly Gpt2Config config;
    // The token lookup forward calls: the embedding, or a LoRA wrapper around it (PEFT adapts wte by lookup).
    nn.Module<Tensor, Tensor> wte;
    readonly Embedding tokenEmbedding;
    readonly Embedding wpe;
    readonly ModuleList<Gpt2Block> h = new();
    readonly LayerNorm ln_f;

    public Gpt2Model(Gpt2Config config, ScalarType dtype, Device device) : base(nameof(Gpt2Model))
    {
        this.config = config;
        var embedding = nn.Embedding(config.VocabSize, config.HiddenSize, device: device, dtype: dtype);
        wte = embedding;
        wpe = nn.Embedding(config.MaxPositions, config.HiddenSize, device: device, dtype: dtype);
        for (var i = 0; i < config.NumLayers; i++) h.Add(new Gpt2Block(config, dtype, device));
        ln_f = nn.LayerNorm(config.HiddenSize, config.LayerNormEpsilon, device: device, dtype: dtype);
        RegisterComponents();
        // Assigned after registration so it is not registered twice; it stays the weight's owner when wte is wrapped.
        tokenEmbedding = embedding;
    }

    /// <summary>The token embedding (its weight is lm_head's when tied), also when a LoRA wrapper sits in its place.</summary>
    public Embedding Wte => tokenEmbedding;

    public nn.Module<Tensor, Tensor> GetChild(string name) =>
        name == "wte" ? wte : throw new ModuleNotFoundException($"Gpt2Model has no replaceable child '{name}' (only wte).");

    public nn.Module<Tensor, Tensor> ReplaceChild(string name, nn.Module<Tensor, Tensor> replacement)
    {
        var old = GetChild(name);
        this.SwapRegisteredChild(name, replacement);
        wte = replacement;
        return old;
    }

    /// <summary>Final hidden states [batch, seq, hidden]; <paramref name="checkpointLayers"/> recomputes each block in backward.</summary>
    public Tensor Forward(ModelInputs inputs, bool checkpointLayers = false)
    {
        using var scope = NewDisposeScope();
        var ids = inputs.InputIds;
        var (batch, seq) = (ids.shape[0], ids.shape[1]);
        var cache = inputs.Cache;
        var past = cache?.Length ?? 0;
        if (past + seq > config.MaxPositions)
            throw new ArgumentException($"GPT-2 sequence of {past + seq} tokens exceeds n_positions {config.MaxPositions}.");
        var device = tokenEmbedding.weight!.device;
        var padding = CausalMask.FullPaddingMask(inputs.AttentionMask, batch, seq, past, device);
        var (mask, isCausal) = CausalMask.Build(batch, seq, past, padding, null, device, inputs.PackedSegments);
        var positions = inputs.PositionIds?.to(device) ?? CausalMask.PositionIds(batch, seq, past, padding, device);
        var hidden = wte.call(ids.to(device)) + wpe.call(positions);
        for (var i = 0; i < h.Count; i++)
        {
            var block = h[i];
            var index = i;
            hidden = checkpointLayers && cache is null
                ? ActivationCheckpoint.Run(block, (x, c) => block.Forward(x, c[0], isCausal, null, index), hidden, mask)
                : block.Forward(hidden, mask, isCausal, cache, i);
        }
        return ln_f.call(hidden).MoveToOuterDisposeScope();
    }
}
