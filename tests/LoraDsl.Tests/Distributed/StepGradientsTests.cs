using LoraDsl.Distributed;
using TorchSharp;
using TorchSharp.Modules;
using Xunit;
using static TorchSharp.torch;

namespace LoraDsl.Tests.Distributed;

/// <summary>The per-step gradient sum: micro-batches in midpoint-tree order, sharded by rank, one flat vector.</summary>
public class StepGradientsTests
{
    [Fact]
    public void Shards_split_a_step_into_contiguous_runs_by_rank_that_cover_it_once()
    {
        Assert.Equal(new MicroBatchShard(0, 4), MicroBatchShard.Of(4, 0, 1));
        Assert.Equal(new MicroBatchShard(0, 2), MicroBatchShard.Of(4, 0, 2));
        Assert.Equal(new MicroBatchShard(2, 2), MicroBatchShard.Of(4, 1, 2));
        // A short last step: 3 micro-batches over 2 processes, 1 over 2 (process 0 gets none).
        Assert.Equal(new MicroBatchShard(0, 1), MicroBatchShard.Of(3, 0, 2));
        Assert.Equal(new MicroBatchShard(1, 2), MicroBatchShard.Of(3, 1, 2));
        Assert.Equal(new MicroBatchShard(0, 0), MicroBatchShard.Of(1, 0, 2));
        Assert.Equal(new MicroBatchShard(0, 1), MicroBatchShard.Of(1, 1, 2));
        foreach (var (n, p) in new[] { (7, 3), (8, 4), (5, 8) })
        {
            var covered = Enumerable.Range(0, p).SelectMany(r => { var s = MicroBatchShard.Of(n, r, p); return Enumerable.Range(s.Start, s.Count); });
            Assert.Equal(Enumerable.Range(0, n), covered);
        }
    }

    [Fact]
    public void The_tree_adds_halves_so_two_shards_added_once_equal_one_process()
    {
        // Values where float order matters: left to right gives 1, pairwise gives 0.
        float[] g = [1e8f, 1f, -1e8f, 1f];
        Assert.Equal(1f, ((g[0] + g[1]) + g[2]) + g[3]);
        var tree = MidpointTree.Sum(0, 4, i => g[i], (a, b) => a + b);
        Assert.Equal((g[0] + g[1]) + (g[2] + g[3]), tree);
        Assert.Equal(0f, tree);
        var halves = MidpointTree.Sum(0, 2, i => g[i], (a, b) => a + b) + MidpointTree.Sum(2, 2, i => g[i], (a, b) => a + b);
        Assert.Equal(tree, halves);
        // Odd counts split at floor(n/2), as MicroBatchShard gives process 0 the first floor(n/2).
        var order = new List<string>();
        MidpointTree.Sum(0, 3, i => $"{i}", (a, b) => { order.Add($"({a}+{b})"); return $"({a}+{b})"; });
        Assert.Equal(["(1+2)", "(0+(1+2))"], order);
    }

    [Fact]
    public void One_process_gets_the_tree_sum_of_each_micro_batch_gradient_back_in_grad()
    {
        float[][] x = [[1e8f, 2f], [1f, 3f], [-1e8f, 5f], [1f, 7f]];
        using var w = new Parameter(torch.zeros(2));
        var gradients = new StepGradients([w], ProcessGroup.Single);
        Assert.Equal(2, gradients.Elements);
        Assert.Equal(8, gradients.BytesPerStep);
        var seen = new List<int>();
        gradients.Accumulate(new MicroBatchShard(0, 4), index =>
        {
            seen.Add(index);
            using var input = torch.tensor(x[index]);
            using var loss = (w * input).sum();
            loss.backward();
            return index + 0.5;
        });
        var (total, tokens) = gradients.Reduce(7);
        Assert.Equal(7, tokens);
        Assert.Equal([0, 1, 2, 3], seen);
        Assert.Equal((0.5 + 1.5) + (2.5 + 3.5), total);
        using var grad = w.grad!;
        var values = LoraDsl.Native.HostMemory.ToArray<float>(grad);
        Assert.Equal((x[0][0] + x[1][0]) + (x[2][0] + x[3][0]), values[0]);
        Assert.Equal(0f, values[0]);
        Assert.Equal((2f + 3f) + (5f + 7f), values[1]);
    }

    [Fact]
    public void A_process_without_micro_batches_contributes_zeros()
    {
        using var w = new Parameter(torch.ones(3));
        using (var loss = (w * 2).sum()) loss.backward();
        var gradients = new StepGradients([w], ProcessGroup.Single);
        gradients.Accumulate(new MicroBatchShard(0, 0), _ => throw new InvalidOperationException("no micro-batch to run"));
        Assert.Equal((0.0, 0), gradients.Reduce());
        using var grad = w.grad!;
        Assert.Equal([0f, 0f, 0f], LoraDsl.Native.HostMemory.ToArray<float>(grad));
    }

    [Fact]
    public void Launch_is_detected_from_the_launchers_variables_only()
    {
        Assert.Null(MpiLaunch.Detect(_ => null));
        Assert.Equal("OMPI_COMM_WORLD_SIZE", MpiLaunch.Detect(n => n == "OMPI_COMM_WORLD_SIZE" ? "2" : null));
        Assert.Equal("PMI_SIZE", MpiLaunch.Detect(n => n == "PMI_SIZE" ? "4" : null));
        // A Slurm batch script without srun has SLURM_NTASKS but no step: one process.
        Assert.Null(MpiLaunch.Detect(n => n == "SLURM_NTASKS" ? "4" : null));
        Assert.Equal("SLURM_NTASKS", MpiLaunch.Detect(n => n switch { "SLURM_NTASKS" => "4", "SLURM_STEP_ID" => "0", _ => null }));
        Assert.Same(ProcessGroup.Single, ProcessGroup.Current); // the test host is no MPI job
        Assert.False(ProcessGroup.Single.IsDistributed);
    }
}
