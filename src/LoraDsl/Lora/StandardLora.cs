using static TorchSharp.torch;

namespace LoraDsl.Lora;

/// <summary>Plain LoRA: y = base(x) + s·B(A(dropout(x))); merge W' = W + s·BA.</summary>
public sealed class StandardLora : ILoraVariant
{
    public static StandardLora Instance { get; } = new();

    public string Name => "lora";

    public void Initialize(LoraAdapter adapter, LoraBaseLayer baseLayer) { }

    public Tensor Forward(LoraAdapter adapter, LoraBaseLayer baseLayer, Tensor input, Tensor baseOutput)
    {
        using var dropped = adapter.ApplyDropout(input);
        using var product = adapter.Product(dropped);
        return product.mul(adapter.Scaling);
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
