using System.Text.Json.Nodes;
using Gpt2Sotu;
using LlamaInstruct;
using LoraDsl.Native;
using LoraDsl.Tests.TestCheckpoints;
using LoraDsl.Tests.Training;
using Xunit;
using static LoraDsl.Tests.Examples.RecipeRuns;

namespace LoraDsl.Tests.Native;

/// <summary>
/// The generated training loops read each step's loss through <see cref="HostMemory"/> (the read that works for
/// GPU tensors): run as generated, every read of a tensor that carries a gradient, the training loss, is observed there.
/// </summary>
[Collection(TorchRandomCollection.Name)]
public class GeneratedLoopHostReadTests
{
    /// <summary>Runs <paramref name="train"/> and counts the host reads of tensors that require a gradient (evaluation runs without one).</summary>
    static int LossReads(Action train)
    {
        var reads = new List<(bool RequiresGrad, long Values)>();
        using (HostMemory.ObserveReads(t => reads.Add((t.requires_grad, t.numel()))))
            train();
        Assert.NotEmpty(reads);
        Assert.All(reads.Where(r => r.RequiresGrad), r => Assert.Equal(1, r.Values));
        return reads.Count(r => r.RequiresGrad);
    }

    [Fact]
    public void The_accumulating_loop_reads_every_micro_batch_loss_through_HostMemory()
    {
        var checkpoint = TinyLlama.Write(TinyCheckpoints.NewFolder("hostread-llama"));
        var output = TinyCheckpoints.NewFolder("hostread-llama-run");
        var steps = 0;
        var reads = LossReads(() => steps = InstructRecipe.Run(Quiet(Set("model.path", checkpoint), Set("training.output_dir", output),
            Set("data.max_records", "40"), Set("training.max_steps", "3"), Set("training.eval_every", "0"))).Training.FinalStep);
        Assert.Equal(3, steps);
        Assert.Equal(3 * 2, reads); // the recipe accumulates 2 micro-batches per step
    }

    [Fact]
    public void The_one_batch_loop_reads_every_step_loss_through_HostMemory()
    {
        var checkpoint = TinyCheckpoints.WriteGpt2(TinyCheckpoints.NewFolder("hostread-gpt2"), new TinyGpt2Spec { Layers = 4, Positions = 128 });
        var output = TinyCheckpoints.NewFolder("hostread-gpt2-run");
        var data = Path.Combine(TinyCheckpoints.NewFolder("hostread-gpt2-data"), "texts.jsonl");
        File.WriteAllLines(data, Enumerable.Range(0, 8).Select(i =>
            new JsonObject { ["text"] = string.Join(' ', Enumerable.Repeat($"the cat {i} sat on the world", 30)) }.ToJsonString()));
        var steps = 0;
        var reads = LossReads(() => steps = SotuRecipe.Run(Quiet(Set("model.path", checkpoint), Set("training.output_dir", output),
            Set("data.files", data), Set("training.max_steps", "2"))).Training.FinalStep);
        Assert.Equal(2, steps);
        Assert.Equal(2, reads);
    }
}
