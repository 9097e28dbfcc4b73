using System.Text.Json.Nodes;
using LoraDsl.Architectures;
using LoraDsl.Dsl;
using LoraDsl.Lora;
using LoraDsl.Models;
using Xunit;
using static TorchSharp.torch;

namespace LoraDsl.Tests.Dsl;

public class ApplyLoraTests
{
    sealed class Config : ModelConfig;

    // ApplyLora reads only the config: a model with no layers is enough.
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

    sealed class RecordingPlacer : IAdapterPlacer
    {
        public List<(string Path, ModuleKind Kind, FusedPart? Part)> Placed { get; } = [];

        public void Place(string modulePath, ModuleKind kind, FusedPart? part) => Placed.Add((modulePath, kind, part));
    }

    [Fact]
    public void Llama_QueryAndValue_PlacesOnEveryLayerInOrder()
    {
        using var model = new EmptyModel("mistral", 2);
        var placer = new RecordingPlacer();

        var placed = Llama.ApplyLora(model, new LoraOptions(), Llama.Presets.QV, placer);

        Assert.Equal(4, placed);
        Assert.Equal(
            ["model.layers.0.self_attn.q_proj", "model.layers.0.self_attn.v_proj", "model.layers.1.self_attn.q_proj", "model.layers.1.self_attn.v_proj"],
            placer.Placed.Select(p => p.Path));
        Assert.All(placer.Placed, p => Assert.Null(p.Part));
    }

    [Fact]
    public void Gpt2_QueryRole_AdaptsTheFirstThirdOfCAttn_AndQkvTheWhole()
    {
        using var model = new EmptyModel("gpt2", 1);
        var query = new RecordingPlacer();
        var all = new RecordingPlacer();

        Gpt2.ApplyLora(model, new LoraOptions(), TargetSet.Of(ModuleRole.Query), query);
        Gpt2.ApplyLora(model, new LoraOptions(), TargetSet.Of(ModuleRole.Query, ModuleRole.Key, ModuleRole.Value), all);

        var (path, kind, part) = Assert.Single(query.Placed);
        Assert.Equal(("transformer.h.0.attn.c_attn", ModuleKind.Conv1D), (path, kind));
        Assert.Equal(new FusedPart(3, [0]), part);
        Assert.Equal([new OutputSlice(0, 16)], part!.Slices(48));
        Assert.Null(Assert.Single(all.Placed).Part);
    }

    [Fact]
    public void Bert_DenseString_MatchesTheThreeDenseLayers_AndLayerRangeLimits()
    {
        using var model = new EmptyModel("bert", 4);
        var placer = new RecordingPlacer();
        var targets = TargetSet.Empty.Add(TargetSpec.ForName("dense", "2..")).Add(TargetSpec.ForName("classifier"));

        Bert.ApplyLora(model, new LoraOptions(), targets, placer);

        Assert.Equal(
            [
                "bert.encoder.layer.2.attention.output.dense", "bert.encoder.layer.2.intermediate.dense", "bert.encoder.layer.2.output.dense",
                "bert.encoder.layer.3.attention.output.dense", "bert.encoder.layer.3.intermediate.dense", "bert.encoder.layer.3.output.dense",
                "classifier",
            ],
            placer.Placed.Select(p => p.Path));
    }

    [Fact]
    public void UnknownName_ThrowsWithTheDiagnosticMessage()
    {
        using var model = new EmptyModel("llama", 2);

        var error = Assert.Throws<TargetResolutionException>(() => Llama.ApplyLora(model, new LoraOptions(), TargetSet.Of("qproj"), new RecordingPlacer()));

        Assert.Equal("Architecture 'llama' has no module 'qproj'; did you mean 'q_proj'?", error.Message);
    }

    [Fact]
    public void LayersBeyondTheLoadedDepth_Throw()
    {
        using var model = new EmptyModel("llama", 2);
        var targets = TargetSet.Empty.Add(TargetSpec.ForModule(Llama.QProj, "1..3"));

        var error = Assert.Throws<TargetResolutionException>(() => Llama.ApplyLora(model, new LoraOptions(), targets, new RecordingPlacer()));

        Assert.Contains("outside the 2 layers of architecture 'llama'", error.Message);
    }

    [Fact]
    public void ModelOfAnotherArchitecture_Throws()
    {
        using var model = new EmptyModel("bert", 2);

        var error = Assert.Throws<TargetResolutionException>(() => Llama.ApplyLora(model, new LoraOptions(), Llama.Presets.QV, new RecordingPlacer()));

        Assert.Contains("'bert'", error.Message);
    }
}
