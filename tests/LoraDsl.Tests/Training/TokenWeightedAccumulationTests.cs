using System.Text.Json.Nodes;
using LlamaInstruct;
using LoraDsl.Tests.TestCheckpoints;
using Xunit;
using static LoraDsl.Tests.Examples.RecipeRuns;

namespace LoraDsl.Tests.Training;

/// <summary>
/// Under gradient accumulation every trained token weighs the same: an optimizer step over 4 examples of different
/// lengths has the same loss and gradient whether they come as one batch of 4 or as 4 micro-batches of 1
/// (the step's summed token loss divided by its total trained tokens, as transformers #34191 and torchtune do).
/// Dividing each micro-batch's mean by the number of micro-batches weighs a token of a short example more: this fails.
/// </summary>
[Collection(TorchRandomCollection.Name)]
public class TokenWeightedAccumulationTests
{
    [Fact]
    public void Batch_4_by_accumulation_1_equals_batch_1_by_accumulation_4_in_loss_and_gradient_norm()
    {
        var checkpoint = TinyLlama.Write(TinyCheckpoints.NewFolder("tokenweight-llama"));
        var data = Path.Combine(TinyCheckpoints.NewFolder("tokenweight-data"), "instructions.jsonl");
        // Outputs of very different lengths: 1 to 40 words, so micro-batches hold very different numbers of trained tokens.
        File.WriteAllLines(data, Enumerable.Range(0, 16).Select(i => new JsonObject
        {
            ["instruction"] = $"Say something about topic {i}.",
            ["input"] = "",
            ["output"] = string.Join(' ', Enumerable.Repeat($"word{i}", 1 + (i * 13) % 40)),
        }.ToJsonString()));

        var oneBatch = Steps(checkpoint, data, "tokenweight-4x1", batch: 4, accumulation: 1);
        var microBatches = Steps(checkpoint, data, "tokenweight-1x4", batch: 1, accumulation: 4);

        Assert.Equal(2, oneBatch.Count);
        Assert.Equal(2, microBatches.Count);
        for (var s = 0; s < 2; s++)
        {
            Assert.Equal(oneBatch[s].Loss, microBatches[s].Loss, 1e-5 * Math.Abs(oneBatch[s].Loss));
            Assert.Equal(oneBatch[s].GradNorm, microBatches[s].GradNorm, 1e-5 * Math.Abs(oneBatch[s].GradNorm));
        }
    }

    static List<(double Loss, double GradNorm)> Steps(string checkpoint, string data, string name, int batch, int accumulation)
    {
        var output = TinyCheckpoints.NewFolder(name);
        InstructRecipe.Run(Quiet(Set("model.path", checkpoint), Set("training.output_dir", output), Set("data.files", data),
            Set("data.validation_fraction", "0"), Set("lora.dropout", "0"), Set("training.eval_every", "0"),
            Set("training.batch_size", batch.ToString()), Set("training.grad_accum", accumulation.ToString()),
            Set("training.max_steps", "2")));
        return [.. File.ReadLines(Path.Combine(output, "metrics.jsonl"))
            .Select(l => JsonNode.Parse(l)!)
            .Where(n => (string?)n["kind"] == "train")
            .Select(n => ((double)n["loss"]!, (double)n["grad_norm"]!))];
    }
}
