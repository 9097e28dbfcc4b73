using LoraDsl.Lora;
using LoraDsl.Models;
using LoraDsl.Modules;
using LoraDsl.Tests.Lora.TestModels;
using TorchSharp;
using TorchSharp.Modules;
using Xunit;
using static TorchSharp.torch;

namespace LoraDsl.Tests.Lora;

public class LoraInjectorTests
{
    static readonly LoraOptions Options = new() { Rank = 4, Alpha = 8, Dropout = 0 };

    static LoraTarget[] QvTargets =>
        [.. Enumerable.Range(0, TinyLlama.Layers).SelectMany(i => new LoraTarget[] { $"model.layers.{i}.self_attn.q_proj", $"model.layers.{i}.self_attn.v_proj" })];

    static string[] Trainable(nn.Module model) =>
        [.. model.named_parameters().Where(p => p.parameter.requires_grad).Select(p => p.name).Order(StringComparer.Ordinal)];

    [Fact]
    public void Injection_replaces_the_targets_and_describes_them()
    {
        var model = new TinyLlama();
        var injection = LoraInjector.Inject(model, Options, QvTargets);
        Assert.Equal(4, injection.Modules.Count);
        var first = injection.Modules[0];
        Assert.Equal("model.layers.0.self_attn.q_proj", first.Path);
        Assert.Equal((16L, 16L, 4), (first.InFeatures, first.OutFeatures, first.Rank));
        Assert.False(first.FanInFanOut);
        Assert.IsType<LoraLinear>(ModuleSurgery.Find(model, "model.layers.1.self_attn.v_proj"));
        Assert.IsType<Linear>(ModuleSurgery.Find(model, "model.layers.1.self_attn.k_proj"));
        Assert.Contains("model.layers.0.self_attn.q_proj.base_layer.weight", model.state_dict().Keys);
        Assert.Contains("model.layers.0.self_attn.q_proj.lora.default.lora_A", model.state_dict().Keys);
    }

    [Fact]
    public void Zero_initialised_adapters_leave_the_model_output_unchanged()
    {
        var model = new TinyLlama();
        model.eval();
        using var ids = TinyLlama.SampleIds();
        using var before = model.Forward(new ModelInputs(ids));
        LoraInjector.Inject(model, Options, QvTargets);
        using var after = model.Forward(new ModelInputs(ids));
        Assert.True(Identical.Tensors(after, before));
    }

    [Fact]
    public void Only_lora_weights_train_with_bias_none()
    {
        var model = new TinyLlama();
        LoraInjector.Inject(model, Options, QvTargets);
        var trainable = Trainable(model);
        Assert.Equal(8, trainable.Length);
        Assert.All(trainable, name => Assert.Matches(@"\.lora\.default\.lora_[AB]$", name));
    }

    [Fact]
    public void Modules_to_save_and_bias_options_train_what_PEFT_trains()
    {
        var model = new TinyLlama(ModelTask.SequenceClassification);
        LoraInjector.Inject(model, Options with { ModulesToSave = ["classifier"], Bias = LoraBias.LoraOnly }, QvTargets);
        var trainable = Trainable(model);
        Assert.Contains("classifier.weight", trainable);
        Assert.Contains("classifier.bias", trainable);
        Assert.Contains("model.layers.0.self_attn.q_proj.base_layer.bias", trainable);
        Assert.DoesNotContain("model.layers.0.self_attn.k_proj.bias", trainable);
        Assert.DoesNotContain("model.layers.0.self_attn.q_proj.base_layer.weight", trainable);
        Assert.Equal(8 + 2 + 4, trainable.Length);

        var all = new TinyLlama(ModelTask.SequenceClassification);
        LoraInjector.Inject(all, Options with { Bias = LoraBias.All }, QvTargets);
        var allTrainable = Trainable(all);
        Assert.Contains("model.layers.0.self_attn.k_proj.bias", allTrainable);
        Assert.Contains("model.norm.bias", allTrainable);
        Assert.DoesNotContain("classifier.weight", allTrainable);
    }

    [Fact]
    public void Gradients_reach_the_adapter_and_not_the_base()
    {
        var model = new TinyLlama();
        var injection = LoraInjector.Inject(model, Options, QvTargets);
        foreach (var m in injection.Modules) LoraLinearTests.Randomize(m.Adapter, 5);
        using var ids = TinyLlama.SampleIds();
        using var logits = model.Forward(new ModelInputs(ids));
        using var loss = logits.square().mean();
        loss.backward();
        var adapter = injection.Modules[0].Adapter;
        using var gradB = adapter.B.grad;
        using var gradA = adapter.A.grad;
        Assert.NotNull(gradB);
        Assert.True(gradB!.abs().sum().item<float>() > 0);
        Assert.True(gradA!.abs().sum().item<float>() > 0);
        Assert.Null(((Linear)injection.Modules[0].Layer.Base.Module).weight.grad);
    }

    [Fact]
    public void Trainable_parameter_report_counts_like_PEFT()
    {
        var model = new TinyLlama();
        var baseCount = TrainableParameterReport.Of(model).Total;
        LoraInjector.Inject(model, Options, QvTargets);
        var report = TrainableParameterReport.Of(model);
        // Four adapted 16x16 modules, each A [4, 16] + B [16, 4].
        Assert.Equal(4 * (4 * 16 + 16 * 4), report.Trainable);
        Assert.Equal(baseCount + report.Trainable, report.Total);
        Assert.Equal("trainable params: 294,912 || all params: 124,734,720 || trainable%: 0.2364",
            new TrainableParameterReport(294_912, 124_734_720).ToString());
    }

    [Fact]
    public void A_missing_path_names_the_segment_and_leaves_the_model_untouched()
    {
        var model = new TinyLlama();
        var e = Assert.Throws<ModuleNotFoundException>(() =>
            LoraInjector.Inject(model, Options, ["model.layers.0.self_attn.q_proj", "model.layers.0.self_attn.qproj"]));
        Assert.Contains("qproj", e.Message);
        Assert.DoesNotContain(model.named_modules(), m => m.module is LoraLinear);
    }

    [Fact]
    public void A_module_that_is_not_linear_is_rejected_by_path()
    {
        var model = new TinyLlama();
        var e = Assert.Throws<ModuleNotFoundException>(() => LoraInjector.Inject(model, Options, ["model.norm"]));
        Assert.Contains("model.norm", e.Message);
        Assert.Contains("Linear, Conv1D or Embedding", e.Message);
    }

    [Fact]
    public void A_missing_modules_to_save_entry_is_rejected()
    {
        var model = new TinyLlama();
        var e = Assert.Throws<ModuleNotFoundException>(() => LoraInjector.Inject(model, Options with { ModulesToSave = ["score"] }, QvTargets));
        Assert.Contains("score", e.Message);
    }

    [Fact]
    public void Merge_and_unload_puts_merged_plain_modules_back()
    {
        var model = new TinyGpt2();
        model.eval();
        var injection = LoraInjector.Inject(model, Options,
            [new LoraTarget("transformer.h.0.attn.c_attn", [new OutputSlice(0, TinyGpt2.Hidden)]), "transformer.h.1.mlp.c_fc"]);
        foreach (var m in injection.Modules) LoraLinearTests.Randomize(m.Adapter, 9);
        using var ids = TinyLlama.SampleIds();
        using var adapted = model.Forward(new ModelInputs(ids));
        var unloaded = LoraInjector.MergeAndUnload(model);
        Assert.Equal(2, unloaded.Count);
        Assert.IsType<Conv1D>(ModuleSurgery.Find(model, "transformer.h.0.attn.c_attn"));
        Assert.DoesNotContain(model.named_modules(), m => m.module is LoraLinear);
        using var merged = model.Forward(new ModelInputs(ids));
        Assert.True(merged.allclose(adapted, rtol: 1e-5, atol: 1e-5));
    }

    [Fact]
    public void A_second_adapter_goes_onto_the_existing_wrapper()
    {
        var model = new TinyLlama();
        LoraInjector.Inject(model, Options, QvTargets);
        var second = LoraInjector.Inject(model, Options with { AdapterName = "second", Rank = 2 }, ["model.layers.0.self_attn.q_proj"]);
        var layer = Assert.IsType<LoraLinear>(ModuleSurgery.Find(model, "model.layers.0.self_attn.q_proj"));
        Assert.Equal(["default", "second"], layer.Adapters.Keys.Order());
        Assert.Same(layer, second.Modules[0].Layer);
        // PEFT trains the adapter being set up; the other is frozen.
        Assert.Equal(2, Trainable(model).Length);
    }
}
