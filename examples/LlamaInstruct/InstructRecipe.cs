using LoraDsl.Architectures;
using LoraDsl.Dsl;
using LoraDsl.Recipes;

namespace LlamaInstruct;

/// <summary>
/// Instruction tuning for any LLaMA / Mistral / Qwen2 checkpoint folder: LoRA on the attention
/// projections (q, k, v, o), Alpaca template, prompt tokens masked out of the loss.
/// Give the folder with <c>--set model.path=/path/to/checkpoint</c>.
/// </summary>
[LoraRecipe("llama-instruct", typeof(Llama))]
public partial class InstructRecipe
{
    static void Configure(RecipeBuilder r) => r
        .Model(m => m.FromDirectory("models/llama"))
        .Lora(l => l.Rank(16).Alpha(32).Dropout(0.05).Preset(Preset.QKVO))
        .Data(d => d
            .JsonLines(Path.Combine(AppContext.BaseDirectory, "data", "sotu-instructions.jsonl"))
            .InstructionTuning()
            .MaxTokens(256)
            .ValidationFraction(0.1))
        .Training(t => t
            .LearningRate(2e-4)
            .Epochs(1)
            .BatchSize(4)
            .GradientAccumulation(2)
            .EvalEvery(20)
            .OutputDirectory("runs/llama-instruct"));
}
