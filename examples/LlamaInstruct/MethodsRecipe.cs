using LoraDsl.Architectures;
using LoraDsl.Dsl;
using LoraDsl.Recipes;

namespace LlamaInstruct;

/// <summary>
/// The instruction recipe with three methods on top: AdaLoRA (ranks pruned from 12 to 4 on average), NEFTune noise on
/// the input embeddings (alpha 5) and LoRA+ (B learns 16× faster than A). Its generated loop has the lines for each.
/// </summary>
[LoraRecipe("llama-instruct-methods", typeof(Llama))]
public partial class MethodsRecipe
{
    static void Configure(RecipeBuilder r) => r
        .Model(m => m.FromDirectory("models/llama"))
        .Lora(l => l.Alpha(32).Dropout(0.05).Preset(Preset.QKVO)
            .AdaLora().AdaLoraInitR(12).AdaLoraTargetR(4).AdaLoraTInit(2).AdaLoraTFinal(2))
        .Data(d => d
            .JsonLines(Path.Combine(AppContext.BaseDirectory, "data", "sotu-instructions.jsonl"))
            .InstructionTuning()
            .MaxTokens(256)
            .ValidationFraction(0.1))
        .Training(t => t
            .LearningRate(2e-4)
            .Epochs(1)
            .BatchSize(4)
            .Neftune(5)
            .LoraPlus(16)
            .OutputDirectory("runs/llama-instruct-methods"));
}
