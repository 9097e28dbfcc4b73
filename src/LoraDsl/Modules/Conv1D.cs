using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace LoraDsl.Modules;

/// <summary>
/// GPT-2's "Conv1D": a linear layer whose weight is stored transposed, [in, out], so
/// y = x @ W + b. Hugging Face checkpoints store <c>c_attn</c>, <c>c_proj</c>, <c>c_fc</c> this way.
/// </summary>
internal sealed class Conv1D : nn.Module<Tensor, Tensor>
{
    public Conv1D(long inFeatures, long outFeatures, bool hasBias = true) : base("Conv1D")
    {
        InFeatures = inFeatures;
        OutFeatures = outFeatures;
        // Hugging Face initialises Conv1D with N(0, 0.02); checkpoints overwrite it.
        weight = new Parameter(normal(0, 0.02, [inFeatures, outFeatures]));
        bias = hasBias ? new Parameter(zeros(outFeatures)) : null;
        RegisterComponents();
    }

    public long InFeatures { get; }

    public long OutFeatures { get; }

    /// <summary>[in, out].</summary>
    public Parameter Weight => weight;

    /// <summary>[out], or null without bias.</summary>
    public Parameter? Bias => bias;

    readonly Parameter weight;
    readonly Parameter? bias;

    public override Tensor forward(Tensor x)
    {
        if (UpcastLinear.Upcasts(x, weight)) return UpcastLinear.Apply(x, weight, bias, weightInOut: true);
        if (bias is null) return matmul(x, weight);
        // addmm is one fused call for the 2-D case; higher ranks flatten to it and back.
        var shape = x.shape;
        using var flat = x.reshape(-1, InFeatures);
        using var y = addmm(bias, flat, weight, beta: 1, alpha: 1);
        var outShape = shape.ToArray();
        outShape[^1] = OutFeatures;
        return y.reshape(outShape);
    }
}
