using LoraDsl.Modules;
using TorchSharp;
using static TorchSharp.torch;

namespace LoraDsl.Quantization;

/// <summary>
/// y = x·dequant(W)ᵀ + b as one autograd node (bitsandbytes' MatMul4Bit): forward and backward each dequantise W and
/// drop it again, so autograd keeps no dense copy of the weight; gradients go to x and b, never to the codes.
/// </summary>
sealed class FourBitMatmul : autograd.SingleTensorFunction<FourBitMatmul>
{
    public override string Name => nameof(FourBitMatmul);

    /// <summary>The layer's output in x's dtype; the product runs in <paramref name="computeDtype"/>.</summary>
    public static Tensor Apply(Tensor x, FourBitWeight weight, Tensor? bias, ScalarType computeDtype)
    {
        var needsGraph = is_grad_enabled() && (x.requires_grad || bias is { requires_grad: true });
        return needsGraph ? apply(x, weight, bias!, computeDtype) : Compute(x, weight, bias, computeDtype);
    }

    public override Tensor forward(autograd.AutogradContext ctx, params object[] vars)
    {
        var x = (Tensor)vars[0];
        var weight = (FourBitWeight)vars[1];
        var bias = vars[2] as Tensor;
        var computeDtype = (ScalarType)vars[3];
        ctx.save_data("weight", weight);
        ctx.save_data("dtype", x.dtype);
        ctx.save_data("compute", computeDtype);
        ctx.save_data("bias", bias is { requires_grad: true } ? bias.dtype : (ScalarType?)null);
        return Compute(x, weight, bias, computeDtype);
    }

    public override List<Tensor> backward(autograd.AutogradContext ctx, Tensor gradOutput)
    {
        var weight = (FourBitWeight)ctx.get_data("weight");
        var dtype = (ScalarType)ctx.get_data("dtype");
        var computeDtype = (ScalarType)ctx.get_data("compute");
        var biasDtype = (ScalarType?)ctx.get_data("bias");
        using var scope = NewDisposeScope();
        var w = weight.Dequantize(computeDtype);
        var grad = gradOutput.to(computeDtype);
        var productDtype = BFloat16Matmul.ProductDtype(computeDtype, gradOutput.device);
        var product = productDtype == computeDtype ? matmul(grad, w) : matmul(grad.to(productDtype), w.to(productDtype)).to(computeDtype);
        var gradInput = product.to(dtype).MoveToOuterDisposeScope();
        Tensor? gradBias = null;
        if (biasDtype is { } type)
        {
            var rows = grad.reshape(-1, weight.OutFeatures);
            gradBias = rows.to(ScalarType.Float32).sum([0L]).to(type).MoveToOuterDisposeScope();
        }
        return [gradInput, null!, gradBias!, null!];
    }

    static Tensor Compute(Tensor x, FourBitWeight weight, Tensor? bias, ScalarType computeDtype)
    {
        using var scope = NewDisposeScope();
        var w = weight.Dequantize(computeDtype);
        var input = x.dtype == computeDtype ? x.alias() : x.to(computeDtype);
        var b = bias is null ? null : bias.dtype == computeDtype ? bias.alias() : bias.to(computeDtype);
        // Without native bf16 matmuls the bf16 operands multiply in fp32, rounded to bf16 once (BFloat16Matmul).
        var y = UpcastLinear.Upcasts(input, w) ? UpcastLinear.Product(input, w, b, weightInOut: false) : nn.functional.linear(input, w, b);
        return (y.dtype == x.dtype ? y : y.to(x.dtype)).MoveToOuterDisposeScope();
    }
}
