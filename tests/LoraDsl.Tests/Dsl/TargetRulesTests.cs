using LoraDsl.Dsl;
using Xunit;

namespace LoraDsl.Tests.Dsl;

/// <summary>The shared target rules agree with the runtime's enums (the generator compiles the same file).</summary>
public class TargetRulesTests
{
    [Fact]
    public void Role_order_is_the_enum_order_and_every_preset_has_a_rule()
    {
        Assert.Equal(Enum.GetNames<ModuleRole>(), TargetRules.RoleOrder);
        Assert.Equal(Enum.GetNames<Preset>(), TargetRules.PresetNames);
        foreach (var preset in Enum.GetNames<Preset>())
            Assert.All(TargetRules.PresetRoles(preset) ?? [], r => Assert.Contains(r, Enum.GetNames<ModuleRole>()));
        Assert.Null(TargetRules.PresetRoles(nameof(Preset.AllLinear)));
        Assert.True(PeftModuleMatch.IsNamed("model.layers.{layer}.self_attn.q_proj", "q_proj"));
        Assert.False(PeftModuleMatch.IsNamed("model.layers.{layer}.self_attn.q_proj", "proj"));
    }
}
