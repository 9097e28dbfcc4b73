using System.Runtime.CompilerServices;
using TorchSharp;
using static TorchSharp.torch;

namespace LoraDsl.Lora;

/// <summary>
/// DoRA (weight-decomposed LoRA): a trained magnitude m [out] times the direction of W + s·BA.
/// y = (m / ‖W + s·BA‖, norm detached)·(Wx + s·BAx) + b; merge W' = (m / ‖W + Δ‖)·(W + Δ).
/// </summary>
internal sealed class DoraVariant : ILoraVariant
{
    /// <summary>The extra parameter's name, as PEFT saves it.</summary>
    public const string MagnitudeName = "lora_magnitude_vector";

    public static DoraVariant Instance { get; } = new();

    // Row norms at merge time: unmerge cannot recover them from the merged weight alone.
    readonly ConditionalWeakTable<LoraAdapter, Tensor> mergedNorms = new();

    public string Name => "dora";

    public void Initialize(LoraAdapter adapter, LoraBaseLayer baseLayer)
    {
        if (adapter.OutputRows is { } slice)
            throw new ArgumentException($"DoRA adapter '{adapter.AdapterName}' cannot use an output slice {slice}: the magnitude covers whole rows.");
        using var _ = no_grad();
        using var weight = baseLayer.WeightOutIn();
        using var norm = RowNorms(adapter, weight);
        adapter.AddExtraParameter(MagnitudeName, new TorchSharp.Modules.Parameter(norm.clone()));
    }

    public Tensor Forward(LoraAdapter adapter, LoraBaseLayer baseLayer, Tensor input, Tensor baseOutput)
    {
        using var scope = NewDisposeScope();
        var magnitude = adapter.ExtraParameters[MagnitudeName];
        var dropoutActive = adapter.DropoutActive;
        var dropped = adapter.ApplyDropout(input);
        var product = adapter.Product(dropped);
        Tensor norm;
        using (no_grad())
        {
            var weight = baseLayer.WeightOutIn();
            norm = RowNorms(adapter, weight);
        }
        var scale = magnitude / norm;
        // Under dropout the magnitude term must see the same dropped input as the LoRA term (PEFT does this too).
        Tensor baseWithoutBias;
        if (dropoutActive)
        {
            using var _ = no_grad();
            var weight = baseLayer.WeightOutIn();
            baseWithoutBias = nn.functional.linear(dropped, weight);
        }
        else
        {
            baseWithoutBias = baseLayer.Bias is null ? baseOutput : baseOutput - baseLayer.Bias.detach().to(ScalarType.Float32);
        }
        var result = (scale - 1) * baseWithoutBias + scale * product * adapter.Scaling;
        return result.MoveToOuterDisposeScope();
    }

    public Tensor Merge(LoraAdapter adapter, Tensor weight)
    {
        using var scope = NewDisposeScope();
        var delta = adapter.DeltaWeight();
        var combined = weight + delta;
        var norm = combined.norm(1, keepdim: true, p: 2);
        mergedNorms.AddOrUpdate(adapter, norm.clone().DetachFromDisposeScope());
        var magnitude = adapter.ExtraParameters[MagnitudeName].detach().unsqueeze(1);
        return (magnitude / norm * combined).MoveToOuterDisposeScope();
    }

    public Tensor Unmerge(LoraAdapter adapter, Tensor mergedWeight)
    {
        if (!mergedNorms.TryGetValue(adapter, out var norm))
            throw new InvalidOperationException($"DoRA adapter '{adapter.AdapterName}' was not merged by this process; cannot unmerge.");
        mergedNorms.Remove(adapter);
        using var scope = NewDisposeScope();
        using var ownedNorm = norm;
        var magnitude = adapter.ExtraParameters[MagnitudeName].detach().unsqueeze(1);
        var delta = adapter.DeltaWeight();
        return (mergedWeight * ownedNorm / magnitude - delta).MoveToOuterDisposeScope();
    }

    /// <summary>‖W + s·BA‖ per output row, [out].</summary>
    static Tensor RowNorms(LoraAdapter adapter, Tensor weight)
    {
        using var delta = adapter.DeltaWeight();
        using var combined = weight + delta;
        return combined.norm(1, keepdim: false, p: 2);
    }
}
