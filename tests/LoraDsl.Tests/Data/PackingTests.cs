using LoraDsl.Checkpoints;
using LoraDsl.Data;
using LoraDsl.Models;
using LoraDsl.Tests.TestCheckpoints;
using LoraDsl.Tests.Training;
using LoraDsl.Training;
using TorchSharp;
using Xunit;
using static TorchSharp.torch;

namespace LoraDsl.Tests.Data;

/// <summary>
/// Packing without cross-contamination: the logits of a row packed from three examples equal, at each example's
/// positions, the logits of that example run alone (block-diagonal causal mask, positions restarting at 0), for
/// LLaMA (RoPE) and GPT-2 (learned positions); and the loss never trains one example to predict the next.
/// </summary>
[Collection(TorchRandomCollection.Name)]
public class PackingTests
{
    static readonly int[][] Examples = [[5, 9, 13, 2, 7], [11, 3, 8], [4, 4, 6, 10, 12, 1, 9]];

    static TokenizedExample Example(int[] ids) => new(ids, ids);

    [Theory]
    [InlineData("llama")]
    [InlineData("gpt2")]
    public void A_packed_rows_logits_equal_each_examples_own_logits(string family)
    {
        var folder = TinyCheckpoints.NewFolder($"packing-{family}");
        using var model = ModelLoader.Load(family == "llama"
            ? TinyCheckpoints.WriteLlama(folder)
            : TinyCheckpoints.WriteGpt2(folder));
        model.eval();
        using var noGrad = no_grad();

        var packed = ExamplePacker.Pack([.. Examples.Select(Example)], maxTokens: 32);
        Assert.Single(packed);
        // Two rows in one batch: the packed row and a shorter padded one, so padding and packing meet.
        using var batch = BatchCollator.Collate([packed[0], Example([3, 1, 4])], DataTask.InstructionTuning, padId: 0);
        using var logits = model.Forward(batch.Inputs());

        var offset = 0;
        foreach (var ids in Examples)
        {
            using var alone = model.Forward(new ModelInputs(tensor(ids.Select(i => (long)i).ToArray(), [1, ids.Length])));
            using var slice = logits[0, offset..(offset + ids.Length)];
            var difference = (slice - alone[0]).abs().max().item<float>();
            Assert.True(difference <= 1e-5f, $"{family}: example at {offset} differs by {difference}");
            offset += ids.Length;
        }
    }

    [Fact]
    public void Packing_fills_rows_in_order_and_masks_each_examples_first_label()
    {
        var rows = ExamplePacker.Pack([.. Examples.Select(Example)], maxTokens: 10);
        Assert.Equal(2, rows.Count);
        Assert.Equal([5, 9, 13, 2, 7, 11, 3, 8], rows[0].InputIds);
        Assert.Equal([1, 1, 1, 1, 1, 2, 2, 2], rows[0].Segments!);
        // Label 11 (the second example's first token) would be predicted from the first example's last: not trained.
        Assert.Equal([5, 9, 13, 2, 7, TokenizedExample.IgnoreIndex, 3, 8], rows[0].Labels);
        Assert.Same(Examples[2], rows[1].InputIds); // a row of one example is that example
        Assert.Null(rows[1].Segments);

        // Padded to the longer row (8 tokens); padding has segment 0 and position 0.
        using var batch = BatchCollator.Collate(rows, DataTask.InstructionTuning, padId: 0);
        Assert.Equal(new long[] { 0, 1, 2, 3, 4, 0, 1, 2 }, batch.PositionIds![0].data<long>().ToArray());
        Assert.Equal(new long[] { 1, 1, 1, 1, 1, 1, 1, 0 }, batch.PackedSegments![1].data<long>().ToArray());
        Assert.Equal(new long[] { 0, 1, 2, 3, 4, 5, 6, 0 }, batch.PositionIds[1].data<long>().ToArray());
    }
}
