using LoraDsl.Architectures;
using LoraDsl.Dsl;
using LoraDsl.Lora;
using LoraDsl.Checkpoints;
using LoraDsl.Tests.TestCheckpoints;
using Xunit;

namespace LoraDsl.Tests.Models.Families;

/// <summary>The run time refuses what LORA021 refuses: a norm is never a LoRA target, and presets leave norms out.</summary>
public class FamilyTargetTests
{
    [Fact]
    public void Qwen3s_q_norm_is_refused_with_the_reason()
    {
        using var model = ModelLoader.Load(TinyFamily.Qwen3.Write());
        var error = Assert.Throws<TargetResolutionException>(() => TargetPlacement.Resolve(model, Qwen3.Descriptor, TargetSet.Of(Qwen3.QNorm)));
        Assert.Contains("model.layers.0.self_attn.q_norm", error.Message);
        Assert.Contains("a vector a low-rank update cannot improve on", error.Message);
        var targets = TargetPlacement.Resolve(model, Qwen3.Descriptor, TargetSet.Of(Preset.AllLinear));
        Assert.DoesNotContain(targets, t => t.Path.Contains("norm", StringComparison.Ordinal));
        Assert.Equal(2 * 7, targets.Count);
    }

    [Fact]
    public void Loaders_come_from_the_declared_model_types()
    {
        foreach (var (descriptor, modelType) in new[] { (Qwen3.Descriptor, "qwen3"), (Phi3.Descriptor, "phi3"), (Gemma2.Descriptor, "gemma2"), (Gemma3.Descriptor, "gemma3_text"), (Gemma3.Descriptor, "gemma3") })
        {
            Assert.True(descriptor.Supports(modelType));
            Assert.Same(ModelArchitectures.Find(modelType).ModelTypes, descriptor.ModelTypes);
        }
    }
}
