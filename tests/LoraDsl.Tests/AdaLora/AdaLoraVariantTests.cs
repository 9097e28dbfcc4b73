using LoraDsl.AdaLora;
using LoraDsl.Lora;
using LoraDsl.Tests.Lora.TestModels;
using TorchSharp;
using Xunit;
using static TorchSharp.torch;

namespace LoraDsl.Tests.AdaLora;

public class AdaLoraVariantTests
{
    static readonly AdaLoraOptions Options = new() { InitR = 3, TargetR = 2, TotalStep = 10 };

    [Fact]
    public void Starts_as_a_no_op_with_E_zero_and_A_B_small()
    {
        manual_seed(2);
        var linear = nn.Linear(32, 24);
        var layer = new LoraLinear(linear, "proj");
        var adapter = layer.AddAdapter("default", new LoraOptions { Rank = 3, Alpha = 8, Dropout = 0 }, null, AdaLoraVariant.Instance);
        Assert.Equal([3L, 1L], AdaLoraVariant.SingularValues(adapter).shape);
        Assert.Equal(0, AdaLoraVariant.SingularValues(adapter).abs().sum().item<float>());
        Assert.Equal(0.02, adapter.A.std().item<float>(), 0.006);
        Assert.Equal(0.02, adapter.B.std().item<float>(), 0.006);
        using var x = randn(2, 5, 32);
        using var expected = linear.call(x);
        using var actual = layer.call(x);
        Assert.True(Identical.Tensors(expected, actual));
    }

    [Fact]
    public void Forward_and_merge_follow_B_times_A_scaled_by_E_times_alpha_over_r()
    {
        manual_seed(3);
        var linear = nn.Linear(8, 6);
        var layer = new LoraLinear(linear, "proj");
        var adapter = layer.AddAdapter("default", new LoraOptions { Rank = 3, Alpha = 8, Dropout = 0 }, null, AdaLoraVariant.Instance);
        var e = AdaLoraVariant.SingularValues(adapter);
        using (no_grad())
        {
            foreach (var p in new[] { adapter.A, adapter.B, e })
            {
                using var value = randn(p.shape);
                p.copy_(value);
            }
        }
        using var x = randn(4, 8);
        // Direct: W x + b + B diag(E) A x · alpha / (r + 1e-5).
        using var delta = matmul(adapter.B.detach(), diag(e.detach().view(-1))).matmul(adapter.A.detach()) * (8 / (3 + 1e-5));
        using var expected = matmul(x, (linear.weight!.detach() + delta).t()) + linear.bias!.detach();
        using var actual = layer.call(x);
        Assert.True(actual.allclose(expected, rtol: 1e-5, atol: 1e-5));
        layer.Merge();
        using var merged = layer.call(x);
        Assert.True(merged.allclose(expected, rtol: 1e-5, atol: 1e-5));
        layer.Unmerge();
        using var restored = linear.weight!.detach().clone();
        using var unmerged = layer.call(x);
        Assert.True(unmerged.allclose(expected, rtol: 1e-5, atol: 1e-5));
    }

    [Fact]
    public void Orthogonal_regularization_is_the_weighted_mean_Frobenius_distance_from_identity()
    {
        var (_, injection) = AdaLoraTestModels.Create(Options with { OrthRegWeight = 0.3 });
        AdaLoraTestModels.Randomize(injection, 5);
        using var allocator = new AdaLoraAllocator(injection, Options with { OrthRegWeight = 0.3 });
        using var reg = allocator.OrthogonalRegularization();

        // Direct: Σ over modules of ‖AAᵀ − I‖_F and ‖BᵀB − I‖_F, element by element, divided by their count.
        var sum = 0.0;
        var count = 0;
        foreach (var module in injection.Modules)
        {
            var a = AdaLoraTestModels.Values(module.Adapter.A);
            var b = AdaLoraTestModels.Values(module.Adapter.B);
            int r = module.Adapter.Rank, inF = (int)module.InFeatures, outF = (int)module.OutFeatures;
            sum += Frobenius(r, (i, j) => Enumerable.Range(0, inF).Sum(k => a[i * inF + k] * a[j * inF + k]));
            sum += Frobenius(r, (i, j) => Enumerable.Range(0, outF).Sum(k => b[k * r + i] * b[k * r + j]));
            count += 2;
        }
        Assert.Equal(0.3 * sum / count, reg.item<float>(), 1e-3 * (0.3 * sum / count));
        reg.backward();
        using var grad = injection.Modules[0].Adapter.A.grad!;
        Assert.True(grad.abs().sum().item<float>() > 0, "the regularisation does not reach A");
    }

    static double Frobenius(int n, Func<int, int, double> product)
    {
        var total = 0.0;
        for (var i = 0; i < n; i++)
            for (var j = 0; j < n; j++)
            {
                var d = product(i, j) - (i == j ? 1 : 0);
                total += d * d;
            }
        return Math.Sqrt(total);
    }

    [Fact]
    public void DoRA_cannot_be_combined_with_AdaLoRA()
    {
        using var model = new TinyLlama();
        var error = Assert.Throws<ArgumentException>(() => AdaLoraInjector.Inject(model, new LoraOptions { UseDora = true }, Options, ["model.layers.0.self_attn.q_proj"]));
        Assert.Contains("DoRA", error.Message);
    }
}
