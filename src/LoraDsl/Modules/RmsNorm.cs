using TorchSharp;
using TorchSharp.Modules; // Parameter
using static TorchSharp.torch;

namespace LoraDsl.Modules;

/// <summary>Root-mean-square norm as LLaMA's: computed in float32, scaled by <c>weight</c>, returned in the input's dtype.</summary>
public sealed class RmsNorm : nn.Module<Tensor, Tensor>
{
    readonly double epsilon;

    public RmsNorm(long size, double epsilon, ScalarType dtype = ScalarType.Float32, Device? device = null) : base(nameof(RmsNorm))
    {
        this.epsilon = epsilon;
        weight = new Parameter(ones(size, dtype, device));
        RegisterComponents();
    }

    readonly Parameter weight;

    public Parameter Weight => weight;

    public override Tensor forward(Tensor input)
    {
        using var scope = NewDisposeScope();
        var x = input.to(ScalarType.Float32);
        var variance = x.pow(2).mean([-1L], keepdim: true);
        var normed = (x * (variance + epsilon).rsqrt()).to(input.dtype);
        return (weight * normed).MoveToOuterDisposeScope();
    }
}
