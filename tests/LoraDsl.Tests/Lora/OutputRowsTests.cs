using LoraDsl.Adapters;
using LoraDsl.Lora;
using LoraDsl.Modules;
using LoraDsl.Tests.Lora.TestModels;
using Xunit;
using static TorchSharp.torch;

namespace LoraDsl.Tests.Lora;

/// <summary>One adapter over several output ranges: GPT-2 c_attn's Query and Value thirds, leaving Key alone.</summary>
public class OutputRowsTests
{
    const int Hidden = 8;
    static readonly LoraOptions Options = new() { Rank = 2, Alpha = 4, Dropout = 0 };
    static readonly OutputSlice Query = new(0, Hidden);
    static readonly OutputSlice Value = new(2 * Hidden, Hidden);

    static (Conv1D Base, LoraLinear Layer, LoraAdapter Adapter) QueryAndValue()
    {
        manual_seed(1);
        var conv = new Conv1D(Hidden, 3 * Hidden);
        var layer = new LoraLinear(conv, "transformer.h.0.attn.c_attn");
        var adapter = layer.AddAdapter("default", Options, [Value, Query]);
        LoraLinearTests.Randomize(adapter, 5);
        layer.eval();
        return (conv, layer, adapter);
    }

    [Fact]
    public void Only_the_query_and_value_rows_change_and_key_rows_equal_the_base_output()
    {
        var (conv, layer, adapter) = QueryAndValue();
        Assert.Equal(2 * Hidden, adapter.B.shape[0]);
        using var x = randn(3, 5, Hidden);
        using var baseOut = conv.call(x);
        using var out_ = layer.call(x);
        using var delta = out_ - baseOut;
        Assert.True(delta[.., .., Hidden..(2 * Hidden)].abs().max().item<float>() == 0, "key rows must be untouched");
        Assert.True(delta[.., .., ..Hidden].abs().max().item<float>() > 1e-3);
        Assert.True(delta[.., .., (2 * Hidden)..].abs().max().item<float>() > 1e-3);
        // Direct formula: the product's first Hidden rows go to Query, the next to Value.
        using var product = matmul(matmul(x, adapter.A.t()), adapter.B.t()) * adapter.Scaling;
        Assert.True(delta[.., .., ..Hidden].allclose(product[.., .., ..Hidden], rtol: 1e-5, atol: 1e-6));
        Assert.True(delta[.., .., (2 * Hidden)..].allclose(product[.., .., Hidden..], rtol: 1e-5, atol: 1e-6));
    }

    [Fact]
    public void Merged_equals_unmerged_and_full_B_is_zero_on_key_rows()
    {
        var (_, layer, adapter) = QueryAndValue();
        using var x = randn(2, 4, Hidden);
        using var unmerged = layer.call(x);
        using var fullB = adapter.FullB();
        Assert.Equal(0, fullB[Hidden..(2 * Hidden)].count_nonzero().item<long>());
        layer.Merge();
        using var merged = layer.call(x);
        Assert.True(merged.allclose(unmerged, rtol: 1e-5, atol: 1e-5));
    }

    [Fact]
    public void Gradients_reach_only_B_rows_of_the_selected_ranges()
    {
        var (_, layer, adapter) = QueryAndValue();
        layer.train();
        using var x = randn(2, 4, Hidden);
        using var y = layer.call(x);
        using var loss = y[.., .., Hidden..(2 * Hidden)].sum();
        loss.backward();
        // The key rows are not B's: a loss on them alone gives B no gradient.
        using var grad = adapter.B.grad;
        Assert.True(grad is null || grad.abs().max().item<float>() == 0);
    }

    [Fact]
    public void Adapter_files_and_the_checkpoint_store_restore_both_ranges_exactly()
    {
        var folder = Directory.CreateTempSubdirectory("loradsl-rows-").FullName;
        var trained = new TinyGpt2();
        var injection = LoraInjector.Inject(trained, Options,
            [new LoraTarget("transformer.h.0.attn.c_attn", [Query, new OutputSlice(2 * TinyGpt2.Hidden, TinyGpt2.Hidden)])]);
        foreach (var m in injection.Modules) LoraLinearTests.Randomize(m.Adapter, 9);
        AdapterWriter.Save(folder, trained, injection);

        var fresh = new TinyGpt2();
        var loaded = AdapterReader.Load(folder, fresh);
        var rows = Assert.Single(loaded.Modules).OutputRows;
        Assert.Equal(injection.Modules[0].OutputRows, rows);
        Assert.True(loaded.Modules[0].Adapter.B.eq(injection.Modules[0].Adapter.B).all().item<bool>());

        // The trainer's store writes the same files and reads them back into live adapters.
        using (no_grad()) injection.Modules[0].Adapter.B.zero_();
        new PeftAdapterStore(trained, injection).Load(folder);
        Assert.True(loaded.Modules[0].Adapter.B.eq(injection.Modules[0].Adapter.B).all().item<bool>());
    }
}
