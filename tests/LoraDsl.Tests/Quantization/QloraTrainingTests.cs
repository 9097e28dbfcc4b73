using LoraDsl.Checkpoints;
using LoraDsl.Data;
using LoraDsl.Lora;
using LoraDsl.Modules;
using LoraDsl.Quantization;
using LoraDsl.Tests.Data;
using LoraDsl.Tests.TestCheckpoints;
using LoraDsl.Tests.Training;
using LoraDsl.Training;
using TorchSharp;
using Xunit;
using static TorchSharp.torch;

namespace LoraDsl.Tests.Quantization;

[Collection(TorchRandomCollection.Name)]
public class QloraTrainingTests
{
    [Fact]
    public void A_tiny_llama_trained_with_qlora_lowers_its_loss_and_leaves_the_codes_untouched()
    {
        using var dir = new TempFolder();
        var data = TrainingFixture.LanguageModelData(dir, out _);
        var folder = TinyCheckpoints.WriteLlama(TinyCheckpoints.NewFolder("qlora-train"));
        // NF4, double quantisation, bf16 compute: the QLoRA recipe.
        using var model = ModelLoader.Load(folder, new ModelLoadOptions { Quantization = new QuantizationOptions() });
        var targets = new[] { 0, 1 }.SelectMany(i => new[] { "q_proj", "v_proj" }.Select(p => new LoraTarget($"model.layers.{i}.self_attn.{p}")));
        torch.manual_seed(5);
        LoraInjector.Inject(model, new LoraOptions { Rank = 4, Alpha = 8, Dropout = 0 }, targets);
        var q = (Linear4Bit)((LoraLinear)ModuleSurgery.Find(model, "model.layers.0.self_attn.q_proj")).Base.Module;
        using var codesBefore = q.Weight.Packed.clone();

        // The training primitives the generated loop calls: trainable parameters, AdamW, the loss, backward, step.
        var parameters = TrainableParameters.Of(model);
        Assert.DoesNotContain(parameters, p => p.dtype == ScalarType.Byte);
        using var optimizer = AdamWOptimizer.Create(model, new TrainingOptions { LearningRate = 2e-2, WeightDecay = 0 });
        var losses = new List<double>();
        var batches = Math.Min(data.Train.Count / 4, 4);
        for (var step = 0; step < 8; step++)
        {
            using var scope = NewDisposeScope();
            var start = step % batches * 4;
            using var batch = BatchCollator.Collate(data, [start, start + 1, start + 2, start + 3], CPU);
            optimizer.zero_grad();
            var loss = TrainingLoss.Compute(model, batch);
            loss.backward();
            optimizer.step();
            losses.Add(loss.item<float>());
        }
        // Each batch is seen again after `batches` steps: its loss must be lower the second time.
        Assert.True(losses[batches] < losses[0] - 0.05 && losses[batches + 1] < losses[1] - 0.05,
            $"losses did not fall: {string.Join(", ", losses.Select(l => l.ToString("F3")))}");
        using var same = q.Weight.Packed.eq(codesBefore).all();
        Assert.True(same.ToBoolean());
    }
}
