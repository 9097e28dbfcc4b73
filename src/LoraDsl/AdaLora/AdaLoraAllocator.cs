using LoraDsl.Lora;
using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace LoraDsl.AdaLora;

/// <summary>
/// PEFT's <c>RankAllocator</c> and <c>AdaLoraModel.update_and_allocate</c> over the AdaLoRA adapters of one
/// injection. Per entry of A, E and B: sensitivity I = |w·∇w|, smoothed Ī ← β₁Ī + (1−β₁)I, uncertainty
/// Ū ← β₂Ū + (1−β₂)|I − Ī|, score s = Ī·Ū. A triplet i of a module scores s(Eᵢ) + mean over in of s(Aᵢ,·)
/// + mean over rows of s(B·,ᵢ); at each allocation step the (b⁽⁰⁾ − budget) lowest-scoring triplets over all
/// modules get Λᵢ = 0 (ties at the threshold included, as PEFT's <c>&lt;=</c>).
/// </summary>
public sealed class AdaLoraAllocator : IDisposable
{
    readonly IReadOnlyList<AdaptedModule> modules;
    readonly Dictionary<Parameter, Ema> scores = new(ReferenceEqualityComparer.Instance);
    Dictionary<string, bool[]>? rankPattern;

    public AdaLoraAllocator(LoraInjection injection, AdaLoraOptions options)
    {
        options.Validate();
        modules = [.. injection.Modules.Where(m => m.Adapter.Variant is AdaLoraVariant)];
        if (modules.Count == 0)
            throw new ArgumentException($"Adapter '{injection.AdapterName}' has no AdaLoRA modules: inject it with {nameof(AdaLoraInjector)}.");
        Options = options;
        Schedule = new AdaLoraBudgetSchedule(modules.Sum(m => m.Adapter.Rank), options.TargetR * modules.Count,
            options.TInit, options.TFinal, options.DeltaT, options.TotalStep!.Value);
    }

    public AdaLoraOptions Options { get; }

    internal AdaLoraBudgetSchedule Schedule { get; }

    /// <summary>The AdaLoRA modules, in injection order.</summary>
    public IReadOnlyList<AdaptedModule> Modules => modules;

    /// <summary>Module path → kept triplets after the last allocation; null before the first.</summary>
    public IReadOnlyDictionary<string, bool[]>? RankPattern => rankPattern;

    /// <summary>
    /// PEFT's <c>update_and_allocate(global_step)</c>. Call once per optimiser step, after <c>optimizer.step()</c>
    /// and before the gradients are zeroed, with <paramref name="globalStep"/> = optimiser steps done counting
    /// this one (1 … total_step). Before T − tfinal it updates the scores and masks on allocation steps; at
    /// T − tfinal it fixes the final pattern; after it, it re-applies that pattern (the optimiser moves Λ).
    /// </summary>
    public AdaLoraAllocation Update(int globalStep)
    {
        var final = Schedule.TotalStep - Schedule.TFinal;
        var budget = Schedule.At(globalStep);
        if (globalStep < final)
        {
            UpdateScores();
            if (budget.Mask) MaskToBudget(budget.Budget);
            return new(globalStep, budget.Budget, budget.Mask, rankPattern);
        }
        if (globalStep == final)
        {
            MaskToBudget(budget.Budget);
            ResetScores();
            return new(globalStep, budget.Budget, true, rankPattern);
        }
        if (rankPattern is not null) ApplyRankPattern(rankPattern);
        return new(globalStep, Schedule.TargetBudget, rankPattern is not null, rankPattern);
    }

    /// <summary>
    /// PEFT's orthogonal regularisation, orth_reg_weight · mean over every A and B of ‖AAᵀ − I‖_F / ‖BᵀB − I‖_F;
    /// add it to each (micro-batch) loss before backward. A scalar that carries gradients to A and B.
    /// </summary>
    public Tensor OrthogonalRegularization() => OrthogonalRegularization(modules.Select(m => m.Adapter), Options.OrthRegWeight);

    /// <inheritdoc cref="OrthogonalRegularization()"/>
    public static Tensor OrthogonalRegularization(IEnumerable<LoraAdapter> adapters, double weight)
    {
        using var scope = NewDisposeScope();
        var list = adapters.ToList();
        var device = list.Count > 0 ? list[0].A.device : CPU;
        var sum = zeros([], ScalarType.Float32, device);
        var count = 0;
        foreach (var adapter in list)
        {
            foreach (var covariance in new[] { matmul(adapter.A, adapter.A.t()), matmul(adapter.B.t(), adapter.B) })
            {
                var identity = eye(covariance.shape[0], covariance.shape[1], covariance.dtype, covariance.device);
                sum = sum + linalg.matrix_norm(covariance - identity);
                count++;
            }
        }
        var mean = count > 0 ? sum / count : sum;
        return (mean * weight).MoveToOuterDisposeScope();
    }

    /// <summary>
    /// The smoothed sensitivity and uncertainty of every entry, by "&lt;module path&gt;.&lt;lora_A|lora_E|lora_B&gt;.&lt;sensitivity|uncertainty&gt;"
    /// (empty before the first update and after the final allocation): what an exact resume needs besides the adapters.
    /// </summary>
    public Dictionary<string, Tensor> ScoreState()
    {
        var state = new Dictionary<string, Tensor>(StringComparer.Ordinal);
        foreach (var module in modules)
            foreach (var (name, p) in Named(module.Adapter))
                if (scores.TryGetValue(p, out var ema))
                {
                    state[$"{module.Path}.{name}.{Ema.SensitivityName}"] = ema.Sensitivity;
                    state[$"{module.Path}.{name}.{Ema.UncertaintyName}"] = ema.Uncertainty;
                }
        return state;
    }

    /// <summary>
    /// Restores <see cref="ScoreState"/> and takes the rank pattern from the adapters (restored with them), so the
    /// next <see cref="Update"/> does what it would have done without the interruption.
    /// </summary>
    public void RestoreScoreState(IReadOnlyDictionary<string, Tensor> state)
    {
        ResetScores();
        using var _ = no_grad();
        foreach (var module in modules)
            foreach (var (name, p) in Named(module.Adapter))
            {
                var prefix = $"{module.Path}.{name}.";
                var found = state.TryGetValue(prefix + Ema.SensitivityName, out var sensitivity);
                if (found != state.TryGetValue(prefix + Ema.UncertaintyName, out var uncertainty))
                    throw new ArgumentException($"AdaLoRA score state has only one of {prefix}{Ema.SensitivityName} and {prefix}{Ema.UncertaintyName}.");
                if (!found) continue;
                if (!sensitivity!.shape.SequenceEqual(p.shape) || !uncertainty!.shape.SequenceEqual(p.shape))
                    throw new ArgumentException($"AdaLoRA score state for '{prefix.TrimEnd('.')}' has shape [{string.Join(", ", sensitivity.shape)}], the parameter [{string.Join(", ", p.shape)}].");
                var ema = new Ema(p);
                ema.Sensitivity.copy_(sensitivity);
                ema.Uncertainty.copy_(uncertainty);
                scores[p] = ema;
            }
        var kept = modules.Select(m => (m.Path, Kept: AdaLoraVariant.Instance.KeptRanks(m.Adapter))).ToList();
        rankPattern = kept.All(k => k.Kept is null) ? null
            : kept.ToDictionary(k => k.Path, k => k.Kept ?? [.. Enumerable.Repeat(true, modules.First(m => m.Path == k.Path).Adapter.Rank)], StringComparer.Ordinal);
    }

    static (string Name, Parameter Parameter)[] Named(LoraAdapter adapter) =>
        [("lora_A", adapter.A), (AdaLoraVariant.SingularValuesName, AdaLoraVariant.SingularValues(adapter)), ("lora_B", adapter.B)];

    void UpdateScores()
    {
        using var _ = no_grad();
        foreach (var module in modules)
            foreach (var p in Triplet(module.Adapter))
            {
                using var grad = p.grad;
                if (grad is null)
                    throw new InvalidOperationException($"AdaLoRA: module '{module.Path}' has no gradient; call Update after backward and before zero_grad.");
                if (!scores.TryGetValue(p, out var ema)) scores[p] = ema = new Ema(p);
                ema.Update(p, grad, Options.Beta1, Options.Beta2);
            }
    }

    /// <summary>PEFT's <c>mask_to_budget</c>.</summary>
    void MaskToBudget(int budget)
    {
        using var _ = no_grad();
        using var scope = NewDisposeScope();
        var triplets = modules.Select(m => TripletScore(m.Adapter)).ToList();
        var prune = Schedule.InitialBudget - budget;
        // kthvalue needs k >= 1: at the full budget nothing is pruned.
        var threshold = prune > 0 ? Native.HostMemory.Item<float>(cat(triplets, 0).kthvalue(prune, 0).values) : float.NegativeInfinity;
        var pattern = new Dictionary<string, bool[]>(StringComparer.Ordinal);
        for (var i = 0; i < modules.Count; i++)
        {
            var kept = Native.HostMemory.ToArray<bool>(triplets[i].gt(threshold)); // the triplets live on the adapter's device
            pattern[modules[i].Path] = kept;
            AdaLoraVariant.Instance.SetKeptRanks(modules[i].Adapter, kept);
        }
        rankPattern = pattern;
    }

    void ApplyRankPattern(IReadOnlyDictionary<string, bool[]> pattern)
    {
        foreach (var module in modules)
            if (pattern.TryGetValue(module.Path, out var kept)) AdaLoraVariant.Instance.SetKeptRanks(module.Adapter, kept);
    }

    /// <summary>Score per triplet [r]: s(E) + mean_in s(A) + mean_rows s(B).</summary>
    Tensor TripletScore(LoraAdapter adapter)
    {
        var rank = adapter.Rank;
        if (!scores.TryGetValue(adapter.A, out var a) || !scores.TryGetValue(adapter.B, out var b) || !scores.TryGetValue(AdaLoraVariant.SingularValues(adapter), out var e))
            return zeros(rank);
        var fromA = a.Score().mean([1]);
        var fromB = b.Score().mean([0]);
        return e.Score().view(-1) + fromA + fromB;
    }

    static Parameter[] Triplet(LoraAdapter adapter) => [adapter.A, AdaLoraVariant.SingularValues(adapter), adapter.B];

    void ResetScores()
    {
        foreach (var ema in scores.Values) ema.Dispose();
        scores.Clear();
    }

    public void Dispose() => ResetScores();

    /// <summary>Ī and Ū of one parameter, kept outside any dispose scope.</summary>
    sealed class Ema : IDisposable
    {
        public const string SensitivityName = "sensitivity";
        public const string UncertaintyName = "uncertainty";

        readonly Tensor sensitivity;
        readonly Tensor uncertainty;

        public Tensor Sensitivity => sensitivity;

        public Tensor Uncertainty => uncertainty;

        public Ema(Parameter p)
        {
            sensitivity = zeros_like(p).DetachFromDisposeScope();
            uncertainty = zeros_like(p).DetachFromDisposeScope();
        }

        public void Update(Parameter p, Tensor grad, double beta1, double beta2)
        {
            using var scope = NewDisposeScope();
            var current = (p.detach() * grad).abs();
            sensitivity.mul_(beta1).add_(current, alpha: 1 - beta1);
            uncertainty.mul_(beta2).add_((current - sensitivity).abs(), alpha: 1 - beta2);
        }

        public Tensor Score() => sensitivity * uncertainty;

        public void Dispose()
        {
            sensitivity.Dispose();
            uncertainty.Dispose();
        }
    }
}
