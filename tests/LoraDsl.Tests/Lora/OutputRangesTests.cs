using LoraDsl.Lora;
using LoraDsl.Modules;
using LoraDsl.Tests.Lora.TestModels;
using Xunit;
using static TorchSharp.torch;

namespace LoraDsl.Tests.Lora;

/// <summary>How targets with several output ranges are checked, joined and trained.</summary>
public class OutputRangesTests
{
    const string CAttn = TinyGpt2.CAttn;
    const int H = TinyGpt2.Hidden;
    static readonly LoraOptions Options = new() { Rank = 2, Alpha = 4, Dropout = 0 };

    [Fact]
    public void Adjacent_ranges_join_into_one_slice()
    {
        var injection = LoraInjector.Inject(new TinyGpt2(), Options, [new LoraTarget(CAttn, [new OutputSlice(H, H), new OutputSlice(0, H)])]);
        var adapter = Assert.Single(injection.Modules).Adapter;
        Assert.Equal([new OutputSlice(0, 2 * H)], adapter.OutputRows!.Slices);
        Assert.Equal(2 * H, adapter.B.shape[0]);
    }

    [Theory]
    [InlineData(0, 16, 8, 16, "overlap")]
    [InlineData(0, 16, 40, 16, "does not fit")]
    [InlineData(-1, 4, 16, 16, "does not fit")]
    public void Overlapping_or_out_of_bounds_ranges_name_the_module(long o1, long l1, long o2, long l2, string expected)
    {
        var model = new TinyGpt2();
        var e = Assert.Throws<ArgumentException>(() =>
            LoraInjector.Inject(model, Options, [new LoraTarget(CAttn, [new OutputSlice(o1, l1), new OutputSlice(o2, l2)])]));
        Assert.Contains(CAttn, e.Message);
        Assert.Contains(expected, e.Message);
    }

    [Fact]
    public void An_empty_range_list_adapts_every_row()
    {
        var injection = LoraInjector.Inject(new TinyGpt2(), Options, [new LoraTarget(CAttn, Array.Empty<OutputSlice>())]);
        var adapter = Assert.Single(injection.Modules).Adapter;
        Assert.Null(adapter.OutputRows);
        Assert.Equal(3 * H, adapter.B.shape[0]);
    }

    [Fact]
    public void Targets_compare_by_their_ranges()
    {
        Assert.Equal(new LoraTarget(CAttn, [new OutputSlice(0, H), new OutputSlice(2 * H, H)]), new LoraTarget(CAttn, [new OutputSlice(0, H), new OutputSlice(2 * H, H)]));
        Assert.Equal(new LoraTarget(CAttn), new LoraTarget(CAttn, []));
        Assert.NotEqual(new LoraTarget(CAttn, [new OutputSlice(0, H)]), new LoraTarget(CAttn, [new OutputSlice(2 * H, H)]));
        Assert.NotEqual(new LoraTarget(CAttn), new LoraTarget(CAttn, [new OutputSlice(0, H)]));
    }

    [Fact]
    public void Dora_rejects_several_ranges()
    {
        var e = Assert.Throws<ArgumentException>(() => LoraInjector.Inject(new TinyGpt2(), Options with { UseDora = true },
            [new LoraTarget(CAttn, [new OutputSlice(0, H), new OutputSlice(2 * H, H)])]));
        Assert.Contains("DoRA", e.Message);
    }

    [Fact]
    public void A_loss_on_the_query_rows_trains_only_the_query_rows_of_B()
    {
        manual_seed(3);
        var layer = new LoraLinear(new Conv1D(H, 3 * H), CAttn);
        var rows = OutputRows.Of([new OutputSlice(0, H), new OutputSlice(2 * H, H)], 3 * H, CAttn);
        var adapter = layer.AddAdapter("default", Options, rows.Slices);
        LoraLinearTests.Randomize(adapter, 4);
        using var x = randn(2, 5, H);
        using var y = layer.call(x);
        using var loss = y[.., .., ..H].square().sum();
        loss.backward();
        using var grad = adapter.B.grad!;
        Assert.True(grad[..H].abs().max().item<float>() > 1e-4, "query rows of B must get a gradient");
        Assert.Equal(0, grad[H..].count_nonzero().item<long>());
    }

    [Fact]
    public void Scatter_and_gather_are_inverse_on_the_covered_rows()
    {
        var rows = OutputRows.Of([new OutputSlice(5, 3), new OutputSlice(0, 2), new OutputSlice(10, 2)], 12, "m");
        using var b = arange(rows.Count * 2, dtype: ScalarType.Float32).reshape(rows.Count, 2) + 1;
        using var full = rows.Scatter(b, 0);
        Assert.Equal([12L, 2], full.shape);
        Assert.True(rows.ZeroOutside(full));
        Assert.Equal(rows.Count * 2, full.count_nonzero().item<long>());
        using var back = rows.Gather(full, 0);
        Assert.True(back.eq(b).all().item<bool>());
        Assert.True(full[5].eq(b[2]).all().item<bool>(), "row 5 holds B's third row (after the two rows of range [0, 2))");
    }
}
