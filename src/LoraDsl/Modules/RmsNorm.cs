using TorchSharp;
using TorchSharp.Modules; // Parameter
using static TorchSharp.torch;

namespace LoraDsl.Modules;

/// <summary>
/// Root-mean-square norm, computed in float32 and returned in the input's dtype. LLaMA's scales the
/// normalised value (cast back first) by <c>weight</c>; Gemma's (<c>unitOffset</c>) by <c>1 + weight</c> in float32
/// before the cast, with a weight that starts at zero.
/// </summary>
internal sealed class RmsNorm : nn.Module<Tensor, Tensor>
{
    readonly double epsilon;
    readonly bool unitOffset;

    public RmsNorm(long size, double epsilon, ScalarType dtype = ScalarType.Float32, Device? device = null, bool unitOffset = false) : base(nameof(RmsNorm))
    {
        this.epsilon = epsilon;
        this.unitOffset = unitOffset;
        weight = new Parameter(unitOffset ? zeros(size, dtype, device) : ones(size, dtype, device));
        RegisterComponents();
    }

    readonly Parameter weight;

    public Parameter Weight => weight;

    public override Tensor forward(Tensor input)
    {
        using var scope = NewDisposeScope();
        var x = input.to(ScalarType.Float32);
        var variance = x.pow(2).mean([-1L], keepdim: true);
        var normalised = x * (variance + epsilon).rsqrt();
        if (unitOffset) return (normalised * (weight.to(ScalarType.Float32) + 1.0)).to(input.dtype).MoveToOuterDisposeScope();
        return (weight * normalised.to(input.dtype)).MoveToOuterDisposeScope();
    }
}
