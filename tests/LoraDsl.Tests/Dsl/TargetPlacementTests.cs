using LoraDsl.Architectures;
using LoraDsl.Dsl;
using LoraDsl.Lora;
using LoraDsl.Models;
using Xunit;
using static TorchSharp.torch;

namespace LoraDsl.Tests.Dsl;

/// <summary>TargetPlacement expands a descriptor's path templates over the loaded depth, in the order the old generated ApplyLora used.</summary>
public class TargetPlacementTests
{
    sealed class Config : ModelConfig;

    // Whole modules need only the config: a model with no layers is enough.
    sealed class EmptyModel(string modelType, int layers) : PretrainedModel("empty", new Config
    {
        ModelType = modelType,
        NumLayers = layers,
        HiddenSize = 16,
        VocabSize = 32,
        Raw = [],
    })
    {
        public override ModelTask Task => ModelTask.CausalLanguageModeling;

        public override Tensor Forward(ModelInputs inputs) => throw new NotSupportedException();
    }

    [Fact]
    public void Llama_QueryAndValue_PlacesOnEveryLayerInOrder()
    {
        using var model = new EmptyModel("mistral", 2);

        var placed = TargetPlacement.Resolve(model, Llama.Descriptor, Llama.Presets.QV);

        Assert.Equal(
            ["model.layers.0.self_attn.q_proj", "model.layers.0.self_attn.v_proj", "model.layers.1.self_attn.q_proj", "model.layers.1.self_attn.v_proj"],
            placed.Select(p => p.Path));
        Assert.All(placed, p => Assert.Null(p.Rows));
    }

    [Fact]
    public void Gpt2_QueryRole_AdaptsTheFirstThirdOfCAttn_AndQkvTheWhole()
    {
        // The rows come from the module: c_attn of a 16-wide GPT-2 has 48 outputs, so the query third is rows [0, 16) and value [32, 48).
        using var model = new Lora.TestModels.TinyGpt2();

        var query = TargetPlacement.Resolve(model, Gpt2.Descriptor, TargetSet.Empty.Add(TargetSpec.ForRole(ModuleRole.Query, "0")));
        var queryValue = TargetPlacement.Resolve(model, Gpt2.Descriptor, TargetSet.Empty.Add(TargetSpec.ForRole(ModuleRole.Value, "0")).Add(TargetSpec.ForRole(ModuleRole.Query, "0")));
        var all = TargetPlacement.Resolve(model, Gpt2.Descriptor, TargetSet.Of(ModuleRole.Query, ModuleRole.Key, ModuleRole.Value));

        Assert.Equal(new LoraTarget("transformer.h.0.attn.c_attn", [new OutputSlice(0, 16)]), Assert.Single(query));
        Assert.Equal(new LoraTarget("transformer.h.0.attn.c_attn", [new OutputSlice(0, 16), new OutputSlice(32, 16)]), Assert.Single(queryValue));
        Assert.Equal(["transformer.h.0.attn.c_attn", "transformer.h.1.attn.c_attn"], all.Select(t => t.Path));
        Assert.All(all, t => Assert.Null(t.Rows));
    }

    [Fact]
    public void Bert_DenseString_MatchesTheThreeDenseLayers_AndLayerRangeLimits()
    {
        using var model = new EmptyModel("bert", 4);
        var targets = TargetSet.Empty.Add(TargetSpec.ForName("dense", "2..")).Add(TargetSpec.ForName("classifier"));

        var placed = TargetPlacement.Resolve(model, Bert.Descriptor, targets);

        Assert.Equal(
            [
                "bert.encoder.layer.2.attention.output.dense", "bert.encoder.layer.2.intermediate.dense", "bert.encoder.layer.2.output.dense",
                "bert.encoder.layer.3.attention.output.dense", "bert.encoder.layer.3.intermediate.dense", "bert.encoder.layer.3.output.dense",
                "classifier",
            ],
            placed.Select(p => p.Path));
    }

    [Fact]
    public void UnknownName_ThrowsWithTheDiagnosticMessage()
    {
        using var model = new EmptyModel("llama", 2);

        var error = Assert.Throws<TargetResolutionException>(() => TargetPlacement.Resolve(model, Llama.Descriptor, TargetSet.Of("qproj")));

        Assert.Equal("Architecture 'llama' has no module 'qproj'; did you mean 'q_proj'?", error.Message);
    }

    [Fact]
    public void LayersBeyondTheLoadedDepth_Throw()
    {
        using var model = new EmptyModel("llama", 2);
        var targets = TargetSet.Empty.Add(TargetSpec.ForModule(Llama.QProj, "1..3"));

        var error = Assert.Throws<TargetResolutionException>(() => TargetPlacement.Resolve(model, Llama.Descriptor, targets));

        Assert.Contains("outside the 2 layers of architecture 'llama'", error.Message);
    }

    [Fact]
    public void ModelOfAnotherArchitecture_Throws()
    {
        using var model = new EmptyModel("bert", 2);

        var error = Assert.Throws<TargetResolutionException>(() => TargetPlacement.Resolve(model, Llama.Descriptor, Llama.Presets.QV));

        Assert.Contains("'bert'", error.Message);
    }
}
