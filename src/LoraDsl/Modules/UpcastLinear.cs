using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace LoraDsl.Modules;

/// <summary>
/// y = x·Wᵀ + b (or x·W for GPT-2's [in, out] Conv1D weights) for bf16 tensors on a CPU without native bf16 matmuls
/// (<see cref="BFloat16Matmul"/>): operands are upcast, the product runs in fp32 (MKL), the result is rounded to bf16 once,
/// as the bf16 GEMM with fp32 accumulation would. One autograd node that saves the bf16 weight, not its fp32 copy, and
/// upcasts it again in backward, so the step keeps bf16's weight memory.
/// </summary>
sealed class UpcastLinear : autograd.SingleTensorFunction<UpcastLinear>
{
    public override string Name => nameof(UpcastLinear);

    /// <summary>
    /// A layer's output: through this node when it is an nn.Linear (sealed, so its callers route it here) with a bf16
    /// weight on a CPU that upcasts bf16 products, else the module's own forward (Conv1D and 4-bit layers decide themselves).
    /// </summary>
    public static Tensor Call(nn.Module<Tensor, Tensor> module, Tensor x) =>
        module is Linear l && Upcasts(x, l.weight!) ? Apply(x, l.weight!, l.bias, weightInOut: false) : module.call(x);

    /// <summary>True when x·W with these operands should run through this node.</summary>
    public static bool Upcasts(Tensor x, Tensor weight) =>
        x.dtype == ScalarType.BFloat16 && weight.dtype == ScalarType.BFloat16 && BFloat16Matmul.ProductDtype(weight) == ScalarType.Float32;

    /// <summary>The product in fp32, rounded to x's dtype; <paramref name="weightInOut"/> = the weight is [in, out].</summary>
    public static Tensor Apply(Tensor x, Tensor weight, Tensor? bias, bool weightInOut)
    {
        var needsGraph = is_grad_enabled() && (x.requires_grad || weight.requires_grad || bias is { requires_grad: true });
        return needsGraph ? apply(x, weight, bias!, weightInOut) : Product(x, weight, bias, weightInOut);
    }

    public override Tensor forward(autograd.AutogradContext ctx, params object[] vars)
    {
        var x = (Tensor)vars[0];
        var weight = (Tensor)vars[1];
        var bias = vars[2] as Tensor;
        var weightInOut = (bool)vars[3];
        ctx.save_data("inOut", weightInOut);
        ctx.save_data("x", x.dtype);
        ctx.save_data("bias", bias is { requires_grad: true } ? bias.dtype : (ScalarType?)null);
        // x is kept only when the weight itself trains (its gradient needs it); a frozen base keeps just the bf16 weight.
        ctx.save_for_backward(weight.requires_grad ? [weight, x] : [weight]);
        return Product(x, weight, bias, weightInOut);
    }

    public override List<Tensor> backward(autograd.AutogradContext ctx, Tensor gradOutput)
    {
        var weightInOut = (bool)ctx.get_data("inOut");
        var xDtype = (ScalarType)ctx.get_data("x");
        var biasDtype = (ScalarType?)ctx.get_data("bias");
        var saved = ctx.get_saved_variables();
        var weight = saved[0];
        using var scope = NewDisposeScope();
        var w = weight.to(ScalarType.Float32);
        var g = gradOutput.to(ScalarType.Float32);
        var gradInput = matmul(g, weightInOut ? w.t() : w).to(xDtype).MoveToOuterDisposeScope();
        Tensor? gradWeight = null;
        if (saved.Count > 1)
        {
            var rows = g.reshape(-1, g.shape[^1]);
            var x = saved[1].to(ScalarType.Float32);
            var flat = x.reshape(-1, x.shape[^1]);
            // [out, in] = gᵀ·x; an [in, out] weight takes the transpose.
            gradWeight = (weightInOut ? flat.t().mm(rows) : rows.t().mm(flat)).to(weight.dtype).MoveToOuterDisposeScope();
        }
        Tensor? gradBias = null;
        if (biasDtype is { } type)
            gradBias = g.reshape(-1, g.shape[^1]).sum([0L]).to(type).MoveToOuterDisposeScope();
        return [gradInput, gradWeight!, gradBias!, null!];
    }

    /// <summary>The forward product without an autograd node (inputs that need no gradient, or a caller's own node).</summary>
    public static Tensor Product(Tensor x, Tensor weight, Tensor? bias, bool weightInOut)
    {
        using var scope = NewDisposeScope();
        var x32 = x.to(ScalarType.Float32);
        var w32 = weight.to(ScalarType.Float32);
        var b32 = bias?.to(ScalarType.Float32);
        Tensor y;
        if (!weightInOut) y = nn.functional.linear(x32, w32, b32);
        else
        {
            var flat = x32.reshape(-1, x32.shape[^1]);
            var product = b32 is null ? flat.mm(w32) : addmm(b32, flat, w32, beta: 1, alpha: 1);
            var shape = x.shape.ToArray();
            shape[^1] = w32.shape[1];
            y = product.reshape(shape);
        }
        return y.to(x.dtype).MoveToOuterDisposeScope();
    }
}
