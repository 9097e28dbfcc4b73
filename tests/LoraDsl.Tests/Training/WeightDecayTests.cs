using LoraDsl.Native;
using LoraDsl.Training;
using TorchSharp;
using Xunit;

namespace LoraDsl.Tests.Training;

public class WeightDecayTests
{
    [Theory]
    [InlineData("model.layers.0.self_attn.q_proj.lora_A.weight", 2, false)]
    [InlineData("score.bias", 1, true)]
    [InlineData("model.layers.0.input_layernorm.weight", 1, true)]
    [InlineData("transformer.h.0.ln_1.weight", 1, true)]
    [InlineData("model.layers.0.self_attn.q_proj.lora_magnitude_vector.default", 1, false)]
    public void BiasesAndNormWeightsAreExempt(string name, int dims, bool exempt)
    {
        TorchNative.EnsureLoaded();
        using var parameter = new TorchSharp.Modules.Parameter(dims == 1 ? torch.zeros(4) : torch.zeros(4, 4));
        Assert.Equal(exempt, AdamWOptimizer.IsDecayExempt(name, parameter));
    }
}
