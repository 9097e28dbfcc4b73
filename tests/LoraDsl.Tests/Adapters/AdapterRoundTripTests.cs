using LoraDsl.Adapters;
using LoraDsl.Lora;
using LoraDsl.Models;
using LoraDsl.Modules;
using LoraDsl.Tests.Lora;
using LoraDsl.Tests.Lora.TestModels;
using TorchSharp;
using Xunit;
using static TorchSharp.torch;

namespace LoraDsl.Tests.Adapters;

public class AdapterRoundTripTests
{
    static readonly LoraOptions Options = new() { Rank = 4, Alpha = 8, Dropout = 0 };

    static LoraTarget[] QvTargets =>
        [.. Enumerable.Range(0, TinyLlama.Layers).SelectMany(i => new LoraTarget[] { $"model.layers.{i}.self_attn.q_proj", $"model.layers.{i}.self_attn.v_proj" })];

    /// <summary>Gives every trainable tensor random values, so a lost or misplaced tensor changes the output.</summary>
    internal static void RandomizeTrainable(nn.Module model, int seed)
    {
        using var _ = no_grad();
        var generator = new Generator((ulong)seed);
        foreach (var p in model.parameters().Where(p => p.requires_grad))
        {
            using var values = randn(p.shape, generator: generator);
            p.copy_(values);
        }
    }

    static void AssertSameState(nn.Module expected, nn.Module actual)
    {
        var want = expected.state_dict();
        var got = actual.state_dict();
        Assert.Equal(want.Keys.Order(StringComparer.Ordinal), got.Keys.Order(StringComparer.Ordinal));
        foreach (var (name, tensor) in want) Assert.True(Identical.Tensors(tensor, got[name]), name);
    }

    static void AssertSameOutput(PretrainedModel expected, PretrainedModel actual)
    {
        expected.eval();
        actual.eval();
        using var ids = TinyLlama.SampleIds();
        using var want = expected.Forward(new ModelInputs(ids));
        using var got = actual.Forward(new ModelInputs(ids));
        Assert.True(Identical.Tensors(want, got));
    }

    [Theory]
    [InlineData(LoraBias.None, false)]
    [InlineData(LoraBias.LoraOnly, false)]
    [InlineData(LoraBias.All, true)]
    public void A_classifier_adapter_round_trips_bit_exactly(LoraBias bias, bool dora)
    {
        using var folder = new AdapterFolder();
        var options = Options with { ModulesToSave = ["classifier"], Bias = bias, UseDora = dora };
        var trained = new TinyLlama(ModelTask.SequenceClassification);
        var injection = LoraInjector.Inject(trained, options, QvTargets);
        RandomizeTrainable(trained, 11);
        AdapterWriter.Save(folder.Path, trained, injection);

        var fresh = new TinyLlama(ModelTask.SequenceClassification);
        var loaded = AdapterReader.Load(folder.Path, fresh);
        Assert.Equal(injection.Modules.Select(m => m.Path), loaded.Modules.Select(m => m.Path));
        Assert.Equal(["classifier"], loaded.ModulesToSave);
        AssertSameState(trained, fresh);
        AssertSameOutput(trained, fresh);
    }

    [Fact]
    public void A_sliced_gpt2_adapter_round_trips_with_its_slice()
    {
        using var folder = new AdapterFolder();
        var trained = new TinyGpt2();
        var query = new OutputSlice(0, TinyGpt2.Hidden);
        var value = new OutputSlice(2 * TinyGpt2.Hidden, TinyGpt2.Hidden);
        var injection = LoraInjector.Inject(trained, Options,
            [new LoraTarget("transformer.h.0.attn.c_attn", [query]), new LoraTarget("transformer.h.1.attn.c_attn", [value])]);
        RandomizeTrainable(trained, 12);
        AdapterWriter.Save(folder.Path, trained, injection);

        var fresh = new TinyGpt2();
        var loaded = AdapterReader.Load(folder.Path, fresh);
        Assert.Equal([query, value], loaded.Modules.Select(m => Assert.Single(m.OutputRows!.Slices)));
        Assert.True(loaded.Modules.All(m => m.FanInFanOut));
        AssertSameState(trained, fresh);
        AssertSameOutput(trained, fresh);
    }

    [Fact]
    public void Saving_twice_replaces_both_files_and_leaves_no_temp_files()
    {
        using var folder = new AdapterFolder();
        var model = new TinyLlama();
        var first = LoraInjector.Inject(model, Options, QvTargets);
        AdapterWriter.Save(folder.Path, model, first);

        var other = new TinyLlama();
        var second = LoraInjector.Inject(other, Options with { Rank = 2 }, ["model.layers.0.self_attn.q_proj"]);
        RandomizeTrainable(other, 13);
        AdapterWriter.Save(folder.Path, other, second);

        Assert.Equal([AdapterFiles.ConfigFile, AdapterFiles.WeightsFile],
            Directory.GetFiles(folder.Path).Select(Path.GetFileName).Order(StringComparer.Ordinal));
        var fresh = new TinyLlama();
        var loaded = AdapterReader.Load(folder.Path, fresh);
        Assert.Single(loaded.Modules);
        Assert.Equal(2, loaded.Modules[0].Rank);
        AssertSameOutput(other, fresh);
    }
}
