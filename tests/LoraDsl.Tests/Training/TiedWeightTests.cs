using LoraDsl.Checkpoints;
using LoraDsl.Data;
using LoraDsl.Lora;
using LoraDsl.Tests.Data;
using LoraDsl.Tests.TestCheckpoints;
using LoraDsl.Training;
using Xunit;

namespace LoraDsl.Tests.Training;

/// <summary>GPT-2's lm_head shares wte's weight: it is one parameter, counted and optimised once.</summary>
[Collection(TorchRandomCollection.Name)]
public class TiedWeightTests
{
    [Fact]
    public void A_tied_gpt2_counts_and_trains_its_shared_weight_once()
    {
        var spec = new TinyGpt2Spec();
        using var model = ModelLoader.Load(TinyCheckpoints.WriteGpt2(TinyCheckpoints.NewFolder("tied"), spec));
        long d = spec.Hidden, v = spec.Vocab, p = spec.Positions;
        // wte + wpe + per layer (ln_1, c_attn, c_proj, ln_2, c_fc, mlp.c_proj) + ln_f; no separate lm_head.
        var expected = v * d + p * d + spec.Layers * (12 * d * d + 13 * d) + 2 * d;
        Assert.Equal(expected, TrainableParameterReport.Of(model).Total);

        Assert.Equal(expected, TrainableParameters.Of(model).Sum(x => x.numel()));
    }
}
