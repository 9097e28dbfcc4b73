using LoraDsl.Modules;
using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace LoraDsl.Lora;

/// <summary>
/// The frozen layer under a LoRA wrapper, seen as y = W x + b with W [out, in] whatever its storage
/// (<see cref="Linear"/> stores [out, in], GPT-2's <see cref="Conv1D"/> stores [in, out]). A
/// quantised base weight becomes one more case of <see cref="Of"/>; adapters never see storage.
/// </summary>
public sealed class LoraBaseLayer
{
    LoraBaseLayer(nn.Module<Tensor, Tensor> module, Parameter weight, Parameter? bias, long inFeatures, long outFeatures, bool fanInFanOut)
    {
        Module = module;
        Weight = weight;
        Bias = bias;
        InFeatures = inFeatures;
        OutFeatures = outFeatures;
        FanInFanOut = fanInFanOut;
    }

    public nn.Module<Tensor, Tensor> Module { get; }

    /// <summary>The stored weight: [out, in], or [in, out] when <see cref="FanInFanOut"/>.</summary>
    public Parameter Weight { get; }

    public Parameter? Bias { get; }

    public long InFeatures { get; }

    public long OutFeatures { get; }

    /// <summary>PEFT's <c>fan_in_fan_out</c>: the weight is stored [in, out] (GPT-2 Conv1D).</summary>
    public bool FanInFanOut { get; }

    /// <summary>
    /// Wraps a Linear or Conv1D; <paramref name="path"/> names the module in the error for anything else.
    /// </summary>
    public static LoraBaseLayer Of(nn.Module<Tensor, Tensor> module, string path) => module switch
    {
        Linear linear => new LoraBaseLayer(linear, linear.weight, linear.bias, linear.in_features, linear.out_features, fanInFanOut: false),
        Conv1D conv => new LoraBaseLayer(conv, conv.Weight, conv.Bias, conv.InFeatures, conv.OutFeatures, fanInFanOut: true),
        _ => throw new ModuleNotFoundException(
            $"Module '{path}' is a {module.GetType().Name}; LoRA can only wrap Linear or Conv1D modules."),
    };

    /// <summary>A new fp32 tensor holding W as [out, in], detached from autograd.</summary>
    public Tensor WeightOutIn()
    {
        using var _ = no_grad();
        using var fp32 = Weight.detach().to(ScalarType.Float32);
        return FanInFanOut ? fp32.t().contiguous() : fp32.clone();
    }

    /// <summary>Overwrites the stored weight with <paramref name="weightOutIn"/> ([out, in]), cast to the stored dtype.</summary>
    public void SetWeightOutIn(Tensor weightOutIn)
    {
        using var _ = no_grad();
        using var stored = FanInFanOut ? weightOutIn.t() : weightOutIn.alias();
        Weight.copy_(stored);
    }
}
