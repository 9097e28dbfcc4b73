using System.Runtime.CompilerServices;
using LoraDsl.Lora;
using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace LoraDsl.AdaLora;

/// <summary>
/// AdaLoRA's SVD form (PEFT's <c>SVDLinear</c>): ΔW = P·Λ·Q with P = lora_B [rows, r], Λ = lora_E [r, 1],
/// Q = lora_A [r, in]; y = base(x) + (dropout(x)·(A ⊙ E)ᵀ·Bᵀ)·alpha/(r + 1e-5), r the initial rank (PEFT's
/// ranknum, which keeps the scale when ranks are pruned). Init as PEFT: E zeros, A and B normal(0, 0.02).
/// Pruned triplets stay in memory with Λ zero; <see cref="KeptRanks"/> records which are kept.
/// </summary>
internal sealed class AdaLoraVariant : ILoraVariant
{
    /// <summary>Λ's name, as PEFT saves it.</summary>
    public const string SingularValuesName = "lora_E";

    public static AdaLoraVariant Instance { get; } = new();

    readonly ConditionalWeakTable<LoraAdapter, bool[]> keptRanks = new();

    public string Name => "adalora";

    public void Initialize(LoraAdapter adapter, LoraBaseLayer baseLayer)
    {
        using (no_grad())
        {
            nn.init.normal_(adapter.A, 0, 0.02);
            nn.init.normal_(adapter.B, 0, 0.02);
        }
        adapter.AddExtraParameter(SingularValuesName, new Parameter(zeros([adapter.Rank, 1], ScalarType.Float32, adapter.A.device)));
    }

    /// <summary>alpha / (r + 1e-5), as PEFT's <c>scaling / (ranknum + 1e-5)</c>.</summary>
    public static double Scaling(LoraAdapter adapter) => adapter.Options.Alpha / (adapter.Rank + 1e-5);

    /// <summary>Λ [r, 1].</summary>
    public static Parameter SingularValues(LoraAdapter adapter) =>
        adapter.ExtraParameters.TryGetValue(SingularValuesName, out var e) ? e
            : throw new ArgumentException($"Adapter '{adapter.AdapterName}' is not an AdaLoRA adapter (it has no {SingularValuesName}).");

    public Tensor Forward(LoraAdapter adapter, LoraBaseLayer baseLayer, Tensor input, Tensor baseOutput)
    {
        using var scope = NewDisposeScope();
        var dropped = adapter.ApplyDropout(input);
        var down = nn.functional.linear(dropped, adapter.A * SingularValues(adapter));
        var up = nn.functional.linear(down, adapter.B);
        return up.mul(Scaling(adapter)).MoveToOuterDisposeScope();
    }

    public Tensor Merge(LoraAdapter adapter, Tensor weight)
    {
        using var delta = DeltaWeight(adapter);
        return weight.add(delta);
    }

    public Tensor Unmerge(LoraAdapter adapter, Tensor mergedWeight)
    {
        using var delta = DeltaWeight(adapter);
        return mergedWeight.sub(delta);
    }

    /// <summary>B·(A ⊙ E)·scaling as a full [out, in] matrix (zero outside the adapter's rows); detached.</summary>
    public static Tensor DeltaWeight(LoraAdapter adapter)
    {
        using var _ = no_grad();
        using var scope = NewDisposeScope();
        var product = matmul(adapter.B.detach(), adapter.A.detach() * SingularValues(adapter).detach()).mul(Scaling(adapter));
        // PadOutputs places the last dimension, so the rows go through a transpose.
        return adapter.PadOutputs(product.t()).t().contiguous().MoveToOuterDisposeScope();
    }

    /// <summary>Which of the r triplets are kept (PEFT's rank_pattern entry); null = all (nothing pruned yet).</summary>
    public bool[]? KeptRanks(LoraAdapter adapter) => keptRanks.TryGetValue(adapter, out var kept) ? kept : null;

    /// <summary>Records the kept triplets and zeroes Λ of the others.</summary>
    public void SetKeptRanks(LoraAdapter adapter, bool[] kept)
    {
        if (kept.Length != adapter.Rank)
            throw new ArgumentException($"Rank pattern for adapter '{adapter.AdapterName}' has {kept.Length} entries, the adapter has rank {adapter.Rank}.");
        keptRanks.AddOrUpdate(adapter, (bool[])kept.Clone());
        using var _ = no_grad();
        using var pruned = tensor(kept.Select(k => !k).ToArray(), [adapter.Rank, 1]);
        using var onDevice = pruned.to(adapter.A.device);
        SingularValues(adapter).masked_fill_(onDevice, 0);
    }
}
