using LoraDsl.Adapters.Combination;
using TorchSharp;
using Xunit;
using static TorchSharp.torch;

namespace LoraDsl.Tests.Adapters.Combination;

/// <summary>PEFT's merge_utils against the formulas, written here element by element on small tensors.</summary>
public class TaskTensorMergeTests
{
    // Three task tensors of six entries, all magnitudes distinct so top-k has one answer.
    static readonly double[][] Tasks =
    [
        [0.9, -0.2, 0.35, -0.7, 0.05, 0.6],
        [-0.8, 0.3, 0.15, -0.1, 0.45, -0.55],
        [0.25, -0.65, -0.4, 0.75, 0.01, 0.5],
    ];

    static readonly double[] Weights = [1.0, 0.5, -0.75];

    static List<Tensor> TaskTensors() => [.. Tasks.Select(t => tensor(t.Select(v => (float)v).ToArray(), [2, 3]))];

    static double[] Values(Tensor t) => [.. t.reshape(-1).to(ScalarType.Float64).data<double>()];

    /// <summary>Keeps the int(density·n) largest magnitudes of one task.</summary>
    static double[] MagnitudePruned(double[] task, double density)
    {
        var k = (int)(density * task.Length);
        var keep = task.Select((v, i) => (Math.Abs(v), i)).OrderByDescending(p => p.Item1).Take(k).Select(p => p.i).ToHashSet();
        return [.. task.Select((v, i) => keep.Contains(i) ? v : 0)];
    }

    /// <summary>TIES: elect the sign per entry from the (pruned, unweighted) tasks, then average the weighted entries that agree.</summary>
    static double[] TiesFormula(double[][] pruned, double[] weights, bool frequency)
    {
        var result = new double[pruned[0].Length];
        for (int j = 0; j < result.Length; j++)
        {
            var score = pruned.Sum(t => frequency ? Math.Sign(t[j]) : t[j]);
            var elected = score >= 0 ? 1 : -1;
            double sum = 0;
            int count = 0;
            for (int i = 0; i < pruned.Length; i++)
                if (Math.Sign(pruned[i][j]) == elected)
                {
                    sum += weights[i] * pruned[i][j];
                    count++;
                }
            result[j] = sum / Math.Max(count, 1);
        }
        return result;
    }

    static void AssertClose(double[] expected, Tensor actual, double tolerance = 1e-6)
    {
        var got = Values(actual);
        Assert.Equal(expected.Length, got.Length);
        for (int i = 0; i < expected.Length; i++) Assert.True(Math.Abs(expected[i] - got[i]) < tolerance, $"entry {i}: expected {expected[i]}, got {got[i]}");
    }

    [Fact]
    public void Task_arithmetic_is_the_weighted_sum()
    {
        var tasks = TaskTensors();
        using var merged = TaskTensorMerge.TaskArithmetic(tasks, Weights);
        AssertClose([.. Enumerable.Range(0, 6).Select(j => Enumerable.Range(0, 3).Sum(i => Weights[i] * Tasks[i][j]))], merged);
        Assert.Equal([2L, 3L], merged.shape);
    }

    [Theory]
    [InlineData(0.5)]
    [InlineData(0.34)]
    public void Magnitude_prune_keeps_the_largest_entries_of_each_task_then_sums(double density)
    {
        var tasks = TaskTensors();
        using var merged = TaskTensorMerge.MagnitudePrune(tasks, Weights, density);
        var pruned = Tasks.Select(t => MagnitudePruned(t, density)).ToArray();
        AssertClose([.. Enumerable.Range(0, 6).Select(j => Enumerable.Range(0, 3).Sum(i => Weights[i] * pruned[i][j]))], merged);
    }

    [Theory]
    [InlineData(MajoritySignMethod.Total)]
    [InlineData(MajoritySignMethod.Frequency)]
    public void Ties_elects_signs_and_averages_the_agreeing_entries(MajoritySignMethod method)
    {
        var tasks = TaskTensors();
        using var merged = TaskTensorMerge.Ties(tasks, Weights, 0.5, method);
        var pruned = Tasks.Select(t => MagnitudePruned(t, 0.5)).ToArray();
        AssertClose(TiesFormula(pruned, Weights, method == MajoritySignMethod.Frequency), merged);
    }

    [Fact]
    public void Total_and_frequency_elect_different_signs_where_one_large_value_outweighs_two_small()
    {
        // Entry: +0.9, -0.1, -0.1: total says +, frequency says -.
        List<Tensor> tasks = [tensor(new float[] { 0.9f }), tensor(new float[] { -0.1f }), tensor(new float[] { -0.1f })];
        using var total = TaskTensorMerge.Ties(tasks, [1, 1, 1], 1.0, MajoritySignMethod.Total);
        using var frequency = TaskTensorMerge.Ties(tasks, [1, 1, 1], 1.0, MajoritySignMethod.Frequency);
        Assert.Equal(0.9, total.item<float>(), 5);
        Assert.Equal(-0.1, frequency.item<float>(), 5);
    }

    [Fact]
    public void Dare_linear_drops_entries_with_seeded_masks_and_rescales_by_the_density()
    {
        const double density = 0.6;
        var tasks = TaskTensors();
        using var merged = TaskTensorMerge.DareLinear(tasks, Weights, density, new Generator(123));
        // The same generator state draws the same Bernoulli(density) masks, task by task.
        var replay = new Generator(123);
        var masks = tasks.Select(t => Values(bernoulli(full_like(t, density), replay))).ToArray();
        Assert.Contains(masks.SelectMany(m => m), v => v == 0);
        AssertClose([.. Enumerable.Range(0, 6).Select(j => Enumerable.Range(0, 3).Sum(i => Weights[i] * Tasks[i][j] * masks[i][j] / density))], merged);
    }

    [Fact]
    public void Dare_ties_is_ties_over_the_rescaled_random_masks()
    {
        const double density = 0.5;
        var tasks = TaskTensors();
        using var merged = TaskTensorMerge.DareTies(tasks, Weights, density, MajoritySignMethod.Total, new Generator(9));
        var replay = new Generator(9);
        var pruned = tasks.Select((t, i) => Values(bernoulli(full_like(t, density), replay)).Select((m, j) => Tasks[i][j] * m / density).ToArray()).ToArray();
        AssertClose(TiesFormula(pruned, Weights, frequency: false), merged);
    }

    [Fact]
    public void Density_one_prunes_nothing()
    {
        var tasks = TaskTensors();
        using var pruned = TaskTensorMerge.MagnitudePrune(tasks, Weights, 1.0);
        using var plain = TaskTensorMerge.TaskArithmetic(tasks, Weights);
        Assert.True(pruned.allclose(plain, rtol: 0, atol: 1e-7));
    }

    [Fact]
    public void Quantile_interpolates_like_torch_quantile()
    {
        using var values = tensor(new float[] { 4, 1, 3, 2 });
        // Sorted 1 2 3 4; q = 0.5 → position 1.5 → 2.5; q = 0.9 → position 2.7 → 3.7.
        Assert.Equal(2.5, WeightedCombination.Quantile(values, 0.5), 5);
        Assert.Equal(3.7, WeightedCombination.Quantile(values, 0.9), 5);
    }
}
