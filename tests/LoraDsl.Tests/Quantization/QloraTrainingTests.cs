using LoraDsl.Checkpoints;
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

        var options = TrainingFixture.LanguageModelOptions(Path.Combine(dir.Path, "qlora")) with { MaxSteps = 8, EvalEvery = 0, LearningRate = 2e-2 };
        // The generated training loop's primitives: AdamW over what trains, the runtime's loss, backward, step.
        using var optimizer = AdamWOptimizer.Create(model, options);
        var order = new LoraDsl.Data.EpochBatchOrder(data.Train.Count, options.BatchSize, options.Seed);
        var losses = new List<double>();
        model.train();
        for (var step = 0; step < 8; step++)
        {
            var batches = order.Batches(step / order.BatchesPerEpoch);
            using var scope = NewDisposeScope();
            optimizer.zero_grad();
            using var batch = LoraDsl.Data.BatchCollator.Collate(data, batches[step % order.BatchesPerEpoch], CPU);
            var loss = TrainingLoss.Compute(model, batch);
            loss.backward();
            optimizer.step();
            losses.Add(loss.item<float>());
        }

        Assert.True(losses.TakeLast(2).Average() < losses[0] - 0.05, $"losses did not fall: {string.Join(", ", losses.Select(l => l.ToString("F3")))}");
        using var same = q.Weight.Packed.eq(codesBefore).all();
        Assert.True(same.ToBoolean());
    }
}
