using LoraDsl.Data;
using LoraDsl.Native;
using TorchSharp;
using Xunit;

namespace LoraDsl.Tests.Data;

public class BatchingTests
{
    [Fact]
    public void CollatePadsRightMasksPaddingAndIgnoresPaddedLabels()
    {
        TorchNative.EnsureLoaded();
        TokenizedExample[] examples = [new([1, 5, 6], [-100, 5, 6]), new([1, 7], [1, 7])];
        using var batch = BatchCollator.Collate(examples, DataTask.InstructionTuning, padId: 0);
        Assert.Equal(torch.ScalarType.Int64, batch.InputIds.dtype);
        Assert.Equal([2L, 3L], batch.InputIds.shape);
        Assert.Equal([1L, 5, 6, 1, 7, 0], batch.InputIds.data<long>().ToArray());
        Assert.Equal([1L, 1, 1, 1, 1, 0], batch.AttentionMask.data<long>().ToArray());
        Assert.Equal([-100L, 5, 6, 1, 7, -100], batch.Labels.data<long>().ToArray());
        Assert.Equal(5, batch.TokenCount);
    }

    [Fact]
    public void ClassificationLabelsAreOnePerExample()
    {
        TorchNative.EnsureLoaded();
        TokenizedExample[] examples = [new([1, 5], [2]), new([1], [0])];
        using var batch = BatchCollator.Collate(examples, DataTask.Classification, padId: 0);
        Assert.Equal([2L], batch.Labels.shape);
        Assert.Equal([2L, 0], batch.Labels.data<long>().ToArray());
    }

    [Fact]
    public void EpochOrderIsASeededPermutationThatChangesPerEpoch()
    {
        var order = new EpochBatchOrder(10, 3, seed: 5);
        var first = order.Batches(0);
        Assert.Equal(4, first.Count);
        Assert.Single(first[^1]);
        Assert.Equal(Enumerable.Range(0, 10), first.SelectMany(b => b).Order());
        Assert.Equal(first.SelectMany(b => b), new EpochBatchOrder(10, 3, seed: 5).Batches(0).SelectMany(b => b));
        Assert.NotEqual(first.SelectMany(b => b), order.Batches(1).SelectMany(b => b));
    }
}
