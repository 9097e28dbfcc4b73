using LoraDsl.Generators.Tests.Infrastructure;

namespace LoraDsl.Generators.Tests;

public sealed class CodeFixTests
{
    [Fact]
    public Task LORA001_ReplacesMisspelledModuleWithSuggestion() => Verify.CodeFix("""
        using LoraDsl.Architectures;
        using LoraDsl.Recipes;

        [LoraRecipe("r", typeof(Llama))]
        [Target({|LORA001:"qproj"|})]
        public partial class R
        {
            static void Configure(RecipeBuilder r) => r.Lora(l => l.Target({|LORA001:"v_prj"|}));
        }
        """, """
        using LoraDsl.Architectures;
        using LoraDsl.Recipes;

        [LoraRecipe("r", typeof(Llama))]
        [Target("q_proj")]
        public partial class R
        {
            static void Configure(RecipeBuilder r) => r.Lora(l => l.Target("v_proj"));
        }
        """);

    [Fact]
    public Task LORA017_ReplacesMisspelledSettingKey() => Verify.CodeFix("""
        using LoraDsl.Architectures;
        using LoraDsl.Recipes;

        [LoraRecipe("r", typeof(Llama))]
        [Setting({|LORA017:"training.epoch"|}, "3")]
        public partial class R;
        """, """
        using LoraDsl.Architectures;
        using LoraDsl.Recipes;

        [LoraRecipe("r", typeof(Llama))]
        [Setting("training.epochs", "3")]
        public partial class R;
        """);
}
