using LoraDsl.Modules;
using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace LoraDsl.Lora;

/// <summary>
/// The frozen layer under a LoRA wrapper, seen as y = W x + b with W [out, in] whatever its storage
/// (<see cref="Linear"/> stores [out, in], GPT-2's <see cref="Conv1D"/> stores [in, out], a quantised
/// layer stores codes). New storage kinds plug in through <see cref="Register"/>; adapters never see storage.
/// </summary>
public abstract class LoraBaseLayer
{
    static readonly List<Func<nn.Module<Tensor, Tensor>, LoraBaseLayer?>> factories = [];

    protected LoraBaseLayer(nn.Module<Tensor, Tensor> module, long inFeatures, long outFeatures, bool fanInFanOut, Parameter? bias, Device device)
    {
        Module = module;
        InFeatures = inFeatures;
        OutFeatures = outFeatures;
        FanInFanOut = fanInFanOut;
        Bias = bias;
        Device = device;
    }

    public nn.Module<Tensor, Tensor> Module { get; }

    public long InFeatures { get; }

    public long OutFeatures { get; }

    /// <summary>PEFT's <c>fan_in_fan_out</c>: the weight is stored [in, out] (GPT-2 Conv1D).</summary>
    public bool FanInFanOut { get; }

    public Parameter? Bias { get; }

    /// <summary>Where the adapter's weights are created.</summary>
    public Device Device { get; }

    /// <summary>True for a token embedding: forward gets ids, not features (see <see cref="EmbeddingBaseLayer"/>).</summary>
    public virtual bool TakesTokenIds => false;

    /// <summary>A new fp32 tensor holding W as [out, in], detached from autograd (dequantised if need be).</summary>
    public abstract Tensor WeightOutIn();

    /// <summary>Overwrites the stored weight with <paramref name="weightOutIn"/> ([out, in] fp32), in the storage's own form.</summary>
    public abstract void SetWeightOutIn(Tensor weightOutIn);

    /// <summary>Teaches <see cref="Of"/> a new kind of base layer (e.g. a 4-bit linear); return null for modules it does not handle.</summary>
    public static void Register(Func<nn.Module<Tensor, Tensor>, LoraBaseLayer?> factory)
    {
        lock (factories) factories.Add(factory);
    }

    /// <summary>Views a Linear, a Conv1D or a registered kind; <paramref name="path"/> names the module in the error for anything else.</summary>
    public static LoraBaseLayer Of(nn.Module<Tensor, Tensor> module, string path)
    {
        lock (factories)
            foreach (var factory in factories)
                if (factory(module) is { } registered) return registered;
        return module switch
        {
            Linear linear => new DenseBaseLayer(linear, linear.weight, linear.bias, linear.in_features, linear.out_features, fanInFanOut: false),
            Conv1D conv => new DenseBaseLayer(conv, conv.Weight, conv.Bias, conv.InFeatures, conv.OutFeatures, fanInFanOut: true),
            Embedding embedding => new EmbeddingBaseLayer(embedding),
            _ => throw new ModuleNotFoundException(
                $"Module '{path}' is a {module.GetType().Name}; LoRA can only wrap Linear, Conv1D or Embedding modules."),
        };
    }
}
