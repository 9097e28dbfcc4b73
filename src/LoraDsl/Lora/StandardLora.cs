using LoraDsl.Modules;
using static TorchSharp.torch;

namespace LoraDsl.Lora;

/// <summary>Plain LoRA: y = base(x) + s·B(A(dropout(x))); merge W' = W + s·BA.</summary>
internal sealed class StandardLora : ILoraVariant
{
    public static StandardLora Instance { get; } = new();

    public string Name => "lora";

    public bool RunsInComputeDtype => true;
    public bool MergesAdditively => true;

    public void Initialize(LoraAdapter adapter, LoraBaseLayer baseLayer) { }

    public Tensor Forward(LoraAdapter adapter, LoraBaseLayer baseLayer, Tensor input, Tensor baseOutput)
    {
        using var dropped = adapter.ApplyDropout(input);
        using var product = adapter.Product(dropped);
        return product.mul(adapter.Scaling);
    }

    /// <summary>
    /// Over all output rows, sum + s·(A x)·Bᵀ is one addmm: the scale and the addition ride on the GEMM
    /// instead of two extra passes over [tokens, out] forward and backward.
    /// </summary>
    public Tensor AddTo(Tensor sum, LoraAdapter adapter, LoraBaseLayer baseLayer, Tensor input, Tensor baseOutput)
    {
        if (adapter.OutputRows is not null || sum.dim() < 2)
            return ILoraVariant.AddForward(this, sum, adapter, baseLayer, input, baseOutput);
        using var scope = NewDisposeScope();
        using var dropped = adapter.ApplyDropout(input);
        // Without native bf16 matmuls the adapter runs in fp32 on its master weights, the sum cast there and back (BFloat16Matmul).
        var productDtype = BFloat16Matmul.ProductDtype(dropped);
        var x = dropped.reshape(-1, adapter.InFeatures).to(productDtype);
        var down = nn.functional.linear(x, LoraAdapter.In(adapter.A, productDtype));
        var flat = addmm(sum.reshape(-1, adapter.OutFeatures).to(productDtype), down, LoraAdapter.In(adapter.B, productDtype).t(), beta: 1, alpha: (float)adapter.Scaling);
        return flat.reshape(sum.shape).to(sum.dtype).MoveToOuterDisposeScope();
    }

    public Tensor Merge(LoraAdapter adapter, Tensor weight)
    {
        using var delta = adapter.DeltaWeight();
        return weight.add(delta);
    }

    public Tensor Unmerge(LoraAdapter adapter, Tensor mergedWeight)
    {
        using var delta = adapter.DeltaWeight();
        return mergedWeight.sub(delta);
    }
}
