using LoraDsl.AdaLora;
using LoraDsl.Adapters;
using LoraDsl.Lora;
using LoraDsl.Tests.Adapters;
using LoraDsl.Tests.Lora.TestModels;
using TorchSharp;
using Xunit;
using static TorchSharp.torch;

namespace LoraDsl.Tests.AdaLora;

public class AdaLoraResumeTests
{
    // Allocations at steps 2–4, the final one at 5, the pattern re-applied at 6.
    static readonly AdaLoraOptions Options = new() { InitR = 4, TargetR = 2, TInit = 1, TFinal = 1, DeltaT = 1, TotalStep = 6 };

    /// <summary>Steps <paramref name="from"/>…<paramref name="to"/>: loss + orthogonal penalty, plain SGD (no optimiser state), allocation.</summary>
    static void Train(LoraInjection injection, AdaLoraAllocator allocator, LoraDsl.Models.PretrainedModel model, int from, int to)
    {
        var parameters = injection.Modules.SelectMany(m => new[] { m.Adapter.A, AdaLoraVariant.SingularValues(m.Adapter), m.Adapter.B }).ToList();
        for (var step = from; step <= to; step++)
        {
            foreach (var p in parameters) p.grad?.zero_();
            using (var scope = NewDisposeScope())
            {
                var ids = randint(0, 32, [2, 6], generator: new Generator((ulong)(100 + step)));
                (AdaLoraTestModels.CausalLoss(model, ids) + allocator.OrthogonalRegularization()).backward();
                using (no_grad())
                    foreach (var p in parameters)
                    {
                        using var g = p.grad!;
                        p.add_(g, alpha: -0.5);
                    }
            }
            allocator.Update(step);
        }
    }

    [Fact]
    public void A_run_resumed_from_a_checkpoint_allocates_and_trains_exactly_as_an_uninterrupted_one()
    {
        var (straightModel, straight) = AdaLoraTestModels.Create(Options);
        AdaLoraTestModels.Randomize(straight, 3);
        using var straightAllocator = new AdaLoraAllocator(straight, Options);
        Train(straight, straightAllocator, straightModel, 1, 4);
        var straightScores = straightAllocator.ScoreState().ToDictionary(kv => kv.Key, kv => kv.Value.clone());
        Train(straight, straightAllocator, straightModel, 5, 6);

        using var folder = new AdapterFolder();
        var (firstModel, first) = AdaLoraTestModels.Create(Options);
        AdaLoraTestModels.Randomize(first, 3);
        using (var firstAllocator = new AdaLoraAllocator(first, Options))
        {
            Train(first, firstAllocator, firstModel, 1, 3);
            new AdaLoraAdapterStore(firstModel, first, Options, firstAllocator).Save(folder.Path);
        }
        var (resumedModel, resumed) = AdaLoraTestModels.Create(Options);
        using var resumedAllocator = new AdaLoraAllocator(resumed, Options);
        new AdaLoraAdapterStore(resumedModel, resumed, Options, resumedAllocator).Load(folder.Path);
        Assert.NotNull(resumedAllocator.RankPattern);
        Train(resumed, resumedAllocator, resumedModel, 4, 4);
        var resumedScores = resumedAllocator.ScoreState();
        Assert.Equal(straightScores.Keys.Order(), resumedScores.Keys.Order());
        foreach (var (name, value) in straightScores) Assert.True(Identical.Tensors(value, resumedScores[name]), $"score {name}");
        Train(resumed, resumedAllocator, resumedModel, 5, 6);

        foreach (var (a, b) in straight.Modules.Zip(resumed.Modules))
        {
            Assert.Equal(AdaLoraVariant.Instance.KeptRanks(a.Adapter), AdaLoraVariant.Instance.KeptRanks(b.Adapter));
            Assert.True(Identical.Tensors(a.Adapter.A.detach(), b.Adapter.A.detach()), $"A of {a.Path}");
            Assert.True(Identical.Tensors(AdaLoraVariant.SingularValues(a.Adapter).detach(), AdaLoraVariant.SingularValues(b.Adapter).detach()), $"E of {a.Path}");
            Assert.True(Identical.Tensors(a.Adapter.B.detach(), b.Adapter.B.detach()), $"B of {a.Path}");
        }
    }
}
