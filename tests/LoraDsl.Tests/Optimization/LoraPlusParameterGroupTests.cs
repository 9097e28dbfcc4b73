using LoraDsl.Lora;
using LoraDsl.Models;
using LoraDsl.Optimization;
using LoraDsl.Tests.Lora.TestModels;
using LoraDsl.Training;
using TorchSharp;
using TorchSharp.Modules;
using Xunit;
using static TorchSharp.torch;

namespace LoraDsl.Tests.Optimization;

public class LoraPlusParameterGroupTests
{
    const double LearningRate = 1e-3, Ratio = 16, WeightDecay = 0.1, Epsilon = 1e-8;

    static (TinyLlama Model, LoraInjection Injection) Classifier()
    {
        var model = new TinyLlama(ModelTask.SequenceClassification);
        var injection = LoraInjector.Inject(model, new LoraOptions { Rank = 4, Alpha = 8, Dropout = 0, ModulesToSave = ["classifier"] },
            ["model.layers.0.self_attn.q_proj", "model.layers.1.self_attn.v_proj"]);
        return (model, injection);
    }

    static Dictionary<string, Parameter> Named(nn.Module model) => model.named_parameters().ToDictionary(p => p.name, p => p.parameter);

    [Fact]
    public void Groups_follow_PEFT_A_at_lr_B_and_one_dimensional_at_ratio_times_lr()
    {
        var (model, _) = Classifier();
        var groups = OptimizerParameterGroups.LoraPlus(model, new LoraPlusOptions { Ratio = Ratio }, LearningRate, WeightDecay);
        var named = Named(model);
        string NameOf(Parameter p) => named.Single(kv => ReferenceEquals(kv.Value, p)).Key;
        var byGroup = groups.ToDictionary(g => g.Name, g => g.Parameters.Select(NameOf).Order(StringComparer.Ordinal).ToArray());

        Assert.Equal(["A", "B", "B_no_decay"], groups.Select(g => g.Name));
        Assert.Equal(
            ["classifier.weight", "model.layers.0.self_attn.q_proj.lora.default.lora_A", "model.layers.1.self_attn.v_proj.lora.default.lora_A"],
            byGroup["A"]);
        Assert.Equal(["model.layers.0.self_attn.q_proj.lora.default.lora_B", "model.layers.1.self_attn.v_proj.lora.default.lora_B"], byGroup["B"]);
        Assert.Equal(["classifier.bias"], byGroup["B_no_decay"]);
        Assert.Equal([1.0, Ratio, Ratio], groups.Select(g => g.LearningRateScale));
        Assert.Equal([WeightDecay, WeightDecay, 0.0], groups.Select(g => g.WeightDecay));
    }

    [Fact]
    public void One_step_from_zero_B_moves_B_by_AdamWs_first_step_at_ratio_times_lr()
    {
        var (model, injection) = Classifier();
        var groups = OptimizerParameterGroups.LoraPlus(model, new LoraPlusOptions { Ratio = Ratio }, LearningRate, WeightDecay);
        using var optimizer = OptimizerParameterGroups.CreateAdamW(groups, new TrainingOptions { LearningRate = LearningRate, Epsilon = Epsilon });
        Assert.Equal([LearningRate, LearningRate * Ratio, LearningRate * Ratio], optimizer.ParamGroups.Select(g => g.LearningRate));

        var adapter = injection.Modules[0].Adapter;
        var bias = Named(model)["classifier.bias"];
        using var aBefore = adapter.A.detach().clone();
        using var biasBefore = bias.detach().clone();
        using var ids = TinyLlama.SampleIds();
        using var labels = tensor(new long[] { 0, 2 });
        using (var logits = model.Forward(new ModelInputs(ids)))
        using (var loss = nn.functional.cross_entropy(logits, labels))
            loss.backward();
        using var gradB = adapter.B.grad!.clone();
        using var gradBias = bias.grad!.clone();
        Assert.True(gradB.abs().max().item<float>() > 0, "B got no gradient");
        optimizer.step();

        // AdamW's first step: m̂ = g, v̂ = g², so Δ = −lr·g/(|g| + eps), after decoupled decay p·(1 − lr·wd).
        var lrB = LearningRate * Ratio;
        using var expectedB = -lrB * gradB / (gradB.abs() + Epsilon);
        Assert.True(adapter.B.detach().allclose(expectedB, rtol: 1e-5, atol: 1e-9), "B's first step is not lr_B·g/(|g|+eps)");
        Assert.Equal(lrB, adapter.B.detach().abs().max().item<float>(), lrB * 1e-4);
        // A's gradient is zero while B is zero: only its weight decay at lr_A moves it.
        using var expectedA = aBefore * (1 - LearningRate * WeightDecay);
        Assert.True(adapter.A.detach().allclose(expectedA, rtol: 1e-6, atol: 1e-9), "A did not decay at lr_A·wd");
        // The head's bias is 1-D: ratio·lr, no decay.
        using var expectedBias = biasBefore - lrB * gradBias / (gradBias.abs() + Epsilon);
        Assert.True(bias.detach().allclose(expectedBias, rtol: 1e-5, atol: 1e-9), "classifier.bias did not step at lr_B without decay");
    }

    [Fact]
    public void The_schedule_scales_every_group_and_the_embedding_rate_follows_it()
    {
        var (model, _) = Classifier();
        var groups = OptimizerParameterGroups.LoraPlus(model, new LoraPlusOptions { Ratio = 4 }, LearningRate, 0);
        using var optimizer = OptimizerParameterGroups.CreateAdamW(groups, new TrainingOptions { LearningRate = LearningRate, Epsilon = Epsilon });
        OptimizerParameterGroups.SetLearningRate(optimizer, groups, LearningRate / 2);
        Assert.Equal([LearningRate / 2, 2 * LearningRate, 2 * LearningRate], optimizer.ParamGroups.Select(g => g.LearningRate));
        Assert.Throws<ArgumentException>(() => new LoraPlusOptions { Ratio = 0 }.Validate());
        Assert.Throws<ArgumentException>(() => new LoraPlusOptions { EmbeddingLearningRate = -1 }.Validate());
    }
}
