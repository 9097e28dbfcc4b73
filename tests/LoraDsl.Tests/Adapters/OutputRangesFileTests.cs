using LoraDsl.Adapters;
using LoraDsl.Checkpoints;
using LoraDsl.Lora;
using LoraDsl.Tests.Lora;
using LoraDsl.Tests.Lora.TestModels;
using Xunit;
using static TorchSharp.torch;

namespace LoraDsl.Tests.Adapters;

/// <summary>The <c>loradsl.output_slices</c> metadata: several ranges per module, the older single-pair form, and broken ranges.</summary>
public class OutputRangesFileTests
{
    const string CAttn = TinyGpt2.CAttn;
    const int H = TinyGpt2.Hidden;
    static readonly LoraOptions Options = new() { Rank = 2, Alpha = 4, Dropout = 0 };

    /// <summary>Saves a trained adapter on <paramref name="slices"/> of c_attn and returns the trained model.</summary>
    static (TinyGpt2 Model, LoraInjection Injection) SaveAdapter(string folder, IReadOnlyList<OutputSlice> slices)
    {
        var model = new TinyGpt2();
        var injection = LoraInjector.Inject(model, Options, [new LoraTarget(CAttn, slices)]);
        foreach (var m in injection.Modules) LoraLinearTests.Randomize(m.Adapter, 13);
        AdapterWriter.Save(folder, model, injection);
        return (model, injection);
    }

    /// <summary>Rewrites the weights file with <paramref name="slicesJson"/> as the ranges metadata.</summary>
    static void RewriteSlices(AdapterFolder folder, string slicesJson)
    {
        var file = folder.File(AdapterFiles.WeightsFile);
        var tensors = TorchSharp.PyBridge.Safetensors.LoadStateDict(file);
        SafetensorsWriter.Write(file, tensors, new Dictionary<string, string> { ["format"] = "pt", [AdapterFiles.OutputSlicesMetadataKey] = slicesJson });
        foreach (var t in tensors.Values) t.Dispose();
    }

    [Fact]
    public void Query_and_value_ranges_are_written_as_pairs_and_the_loaded_layer_computes_the_same_output()
    {
        using var folder = new AdapterFolder();
        var (_, injection) = SaveAdapter(folder.Path, [new OutputSlice(2 * H, H), new OutputSlice(0, H)]);
        var metadata = SafetensorsFile.Open(folder.File(AdapterFiles.WeightsFile)).Metadata;
        Assert.Equal($"{{\"{CAttn}\":[[0,{H}],[{2 * H},{H}]]}}", metadata[AdapterFiles.OutputSlicesMetadataKey]);

        var loaded = Assert.Single(AdapterReader.Load(folder.Path, new TinyGpt2()).Modules);
        Assert.Equal([new OutputSlice(0, H), new OutputSlice(2 * H, H)], loaded.OutputRows!.Slices);
        using var x = randn(2, 3, H);
        using var expected = injection.Modules[0].Layer.call(x);
        using var actual = loaded.Layer.call(x);
        Assert.True(actual.eq(expected).all().item<bool>(), "the loaded layer must reproduce the saved one bit for bit");
    }

    [Fact]
    public void The_older_single_pair_form_is_still_read()
    {
        using var folder = new AdapterFolder();
        var (_, injection) = SaveAdapter(folder.Path, [new OutputSlice(H, H)]);
        RewriteSlices(folder, $"{{\"{CAttn}\":[{H},{H}]}}");

        var loaded = Assert.Single(AdapterReader.Load(folder.Path, new TinyGpt2()).Modules);
        Assert.Equal([new OutputSlice(H, H)], loaded.Adapter.OutputRows!.Slices);
        Assert.True(loaded.Adapter.B.eq(injection.Modules[0].Adapter.B).all().item<bool>());
    }

    [Fact]
    public void Ranges_are_not_restored_when_B_is_nonzero_outside_them()
    {
        using var folder = new AdapterFolder();
        SaveAdapter(folder.Path, [new OutputSlice(0, H), new OutputSlice(2 * H, H)]);
        // Claim only Query: B's Value rows are nonzero, so dropping them would lose weights.
        RewriteSlices(folder, $"{{\"{CAttn}\":[[0,{H}]]}}");

        var loaded = Assert.Single(AdapterReader.Load(folder.Path, new TinyGpt2()).Modules);
        Assert.Null(loaded.OutputRows);
        Assert.Equal(3 * H, loaded.Adapter.B.shape[0]);
    }

    [Theory]
    [InlineData("[[0,16],[8,16]]", "overlap")]
    [InlineData("[[40,16]]", "does not fit")]
    [InlineData("[[0,16,3]]", "expected [offset, length]")]
    [InlineData("[[0,\"x\"]]", "is not valid")]
    public void Broken_ranges_in_the_metadata_name_the_file_and_module(string ranges, string expected)
    {
        using var folder = new AdapterFolder();
        SaveAdapter(folder.Path, [new OutputSlice(0, H)]);
        RewriteSlices(folder, $"{{\"{CAttn}\":{ranges}}}");

        var e = Assert.Throws<CheckpointFormatException>(() => AdapterReader.Load(folder.Path, new TinyGpt2()));
        Assert.Contains(AdapterFiles.WeightsFile, e.Message);
        Assert.Contains(expected, e.Message);
        if (expected != "is not valid") Assert.Contains(CAttn, e.Message);
    }
}
