using LoraDsl.AdaLora;
using LoraDsl.Lora;
using TorchSharp;
using Xunit;
using static TorchSharp.torch;

namespace LoraDsl.Tests.AdaLora;

public class AdaLoraAllocatorTests
{
    const double Beta1 = 0.85, Beta2 = 0.7;

    // 4 modules at r = 4: b⁽⁰⁾ = 16, target 8; at step 2, 8·(1 − 1/8)³ + 8 = 13.36 → 13 kept, 3 pruned.
    static readonly AdaLoraOptions Options = new() { InitR = 4, TargetR = 2, TInit = 1, TFinal = 1, DeltaT = 1, TotalStep = 10, Beta1 = Beta1, Beta2 = Beta2 };

    [Fact]
    public void Allocation_masks_the_lowest_triplet_scores_as_the_EMA_formula_ranks_them()
    {
        var (model, injection) = AdaLoraTestModels.Create(Options);
        AdaLoraTestModels.Randomize(injection, 9);
        using var allocator = new AdaLoraAllocator(injection, Options);
        var adapters = injection.Modules.Select(m => m.Adapter).ToList();
        var parameters = adapters.SelectMany(a => new[] { a.A, AdaLoraVariant.SingularValues(a), a.B }).ToArray();

        var gradients = new List<double[][]>();
        AdaLoraAllocation? allocation = null;
        for (var step = 1; step <= 2; step++)
        {
            foreach (var p in parameters) p.grad?.zero_();
            using (var ids = randint(0, 32, [2, 6], generator: new Generator((ulong)step)))
            using (var loss = AdaLoraTestModels.CausalLoss(model, ids))
                loss.backward();
            gradients.Add([.. parameters.Select(p => { using var g = p.grad!; return AdaLoraTestModels.Values(g); })]);
            allocation = allocator.Update(step);
            Assert.Equal(step == 2, allocation.Masked);
        }
        Assert.Equal(13, allocation!.Budget);

        // Independent: I = |w·g|, Ī = β₁Ī + (1−β₁)I, Ū = β₂Ū + (1−β₂)|I − Ī| from zero, score Ī·Ū per entry.
        var weights = parameters.Select(AdaLoraTestModels.Values).ToArray();
        var scores = new double[parameters.Length][];
        for (var k = 0; k < parameters.Length; k++)
        {
            var n = weights[k].Length;
            double[] ema = new double[n], unc = new double[n];
            foreach (var g in gradients)
                for (var i = 0; i < n; i++)
                {
                    var current = Math.Abs(weights[k][i] * g[k][i]);
                    ema[i] = Beta1 * ema[i] + (1 - Beta1) * current;
                    unc[i] = Beta2 * unc[i] + (1 - Beta2) * Math.Abs(current - ema[i]);
                }
            scores[k] = [.. ema.Zip(unc, (e, u) => e * u)];
        }
        // Triplet i of a module: s(Eᵢ) + mean over inputs of s(Aᵢ,·) + mean over outputs of s(B·,ᵢ).
        var triplets = new List<(string Path, int Index, double Score)>();
        for (var m = 0; m < adapters.Count; m++)
        {
            var (sa, se, sb) = (scores[3 * m], scores[3 * m + 1], scores[3 * m + 2]);
            int r = 4, inF = 16, outF = 16;
            for (var i = 0; i < r; i++)
            {
                var fromA = Enumerable.Range(0, inF).Average(j => sa[i * inF + j]);
                var fromB = Enumerable.Range(0, outF).Average(o => sb[o * r + i]);
                triplets.Add((injection.Modules[m].Path, i, se[i] + fromA + fromB));
            }
        }
        var pruned = triplets.OrderBy(t => t.Score).Take(16 - 13).Select(t => (t.Path, t.Index)).ToHashSet();
        foreach (var (module, m) in injection.Modules.Select((x, i) => (x, i)))
        {
            var expected = Enumerable.Range(0, 4).Select(i => !pruned.Contains((module.Path, i))).ToArray();
            Assert.Equal(expected, allocation.RankPattern![module.Path]);
            var e = AdaLoraTestModels.Values(AdaLoraVariant.SingularValues(module.Adapter));
            var before = weights[3 * m + 1];
            for (var i = 0; i < 4; i++) Assert.Equal(expected[i] ? before[i] : 0, e[i]);
        }
        Assert.Equal(13, allocation.RankPattern!.Values.Sum(k => k.Count(x => x)));
    }

    [Fact]
    public void A_tiny_model_trained_with_AdaLoRA_lowers_its_loss_and_ends_at_the_target_budget()
    {
        // total 20, tinit 2, tfinal 4: full budget to step 2, cubic to step 16, then the pattern is fixed.
        var options = new AdaLoraOptions { InitR = 4, TargetR = 2, TInit = 2, TFinal = 4, DeltaT = 1, TotalStep = 20 };
        manual_seed(4);
        var (model, injection) = AdaLoraTestModels.Create(options);
        using var allocator = new AdaLoraAllocator(injection, options);
        var trainable = model.parameters().Where(p => p.requires_grad).ToList();
        Assert.Equal(12, trainable.Count); // A, E, B of 4 modules
        using var optimizer = optim.AdamW(trainable, 5e-2);
        using var ids = randint(0, 32, [4, 8], generator: new Generator(21));
        model.train();
        var losses = new List<double>();
        AdaLoraAllocation? last = null;
        for (var step = 1; step <= options.TotalStep; step++)
        {
            optimizer.zero_grad();
            using var scope = NewDisposeScope();
            var task = AdaLoraTestModels.CausalLoss(model, ids);
            losses.Add(task.item<float>());
            (task + allocator.OrthogonalRegularization()).backward();
            optimizer.step();
            last = allocator.Update(step);
            if (step == 16)
            {
                Assert.True(last.Masked);
                Assert.Equal(8, last.Budget);
            }
        }
        Assert.True(losses[^1] < losses[0] - 0.05, $"loss went {losses[0]:F4} -> {losses[^1]:F4}");
        Assert.Equal(8, last!.RankPattern!.Values.Sum(k => k.Count(x => x)));
        // After the final allocation the pruned Λ stay zero although AdamW keeps moving them between steps.
        foreach (var module in injection.Modules)
        {
            var e = AdaLoraTestModels.Values(AdaLoraVariant.SingularValues(module.Adapter));
            var kept = last.RankPattern[module.Path];
            for (var i = 0; i < kept.Length; i++)
                if (!kept[i]) Assert.Equal(0, e[i]);
            Assert.Equal(kept, AdaLoraVariant.Instance.KeptRanks(module.Adapter));
        }
    }
}
