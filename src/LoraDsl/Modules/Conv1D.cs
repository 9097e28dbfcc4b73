using TorchSharp;
using TorchSharp.Modules; // Parameter
using static TorchSharp.torch;

namespace LoraDsl.Modules;

/// <summary>GPT-2's "Conv1D": a linear layer whose weight is stored [in, out]; y = x @ W + b.</summary>
public sealed class Conv1D : nn.Module<Tensor, Tensor>
{
    public Conv1D(long inFeatures, long outFeatures, bool hasBias = true) : base(nameof(Conv1D))
    {
        InFeatures = inFeatures;
        OutFeatures = outFeatures;
        // HF initialises Conv1D weights with N(0, 0.02) and zero bias.
        weight = new Parameter(normal(0, 0.02, [inFeatures, outFeatures]));
        if (hasBias) bias = new Parameter(zeros(outFeatures));
        RegisterComponents();
    }

    public long InFeatures { get; }

    public long OutFeatures { get; }

    readonly Parameter weight;

    readonly Parameter? bias;

    /// <summary>[in, out].</summary>
    public Parameter Weight => weight;

    public Parameter? Bias => bias;

    public override Tensor forward(Tensor input)
    {
        using var flat = input.reshape(-1, InFeatures);
        using var output = bias is null ? flat.matmul(weight) : addmm(bias, flat, weight, 1, 1);
        var shape = input.shape.ToArray();
        shape[^1] = OutFeatures;
        return output.reshape(shape);
    }
}
