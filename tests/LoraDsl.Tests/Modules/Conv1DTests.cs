using LoraDsl.Modules;
using Xunit;
using static TorchSharp.torch;

namespace LoraDsl.Tests.Modules;

public class Conv1DTests
{
    [Fact]
    public void Weight_is_stored_in_by_out_and_forward_is_x_times_W_plus_b()
    {
        manual_seed(0);
        var conv = new Conv1D(8, 24);
        var state = conv.state_dict();
        Assert.Equal(["bias", "weight"], state.Keys.Order(StringComparer.Ordinal));
        Assert.Equal([8L, 24L], state["weight"].shape);
        Assert.Equal([24L], state["bias"].shape);
        Assert.Equal((8L, 24L), (conv.InFeatures, conv.OutFeatures));
        using (no_grad()) conv.Bias!.copy_(randn(24));
        using var x = randn(2, 3, 8);
        using var y = conv.call(x);
        Assert.Equal([2L, 3L, 24L], y.shape);
        using var expected = matmul(x, conv.Weight) + conv.Bias!;
        Assert.True(y.allclose(expected, rtol: 1e-6, atol: 1e-6));
    }

    [Fact]
    public void Without_bias_there_is_no_bias_parameter()
    {
        var conv = new Conv1D(4, 6, hasBias: false);
        Assert.Null(conv.Bias);
        Assert.Equal(["weight"], conv.state_dict().Keys);
        using var x = randn(5, 4);
        using var y = conv.call(x);
        using var expected = matmul(x, conv.Weight);
        Assert.True(y.allclose(expected));
    }
}
