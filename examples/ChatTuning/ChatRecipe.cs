using LoraDsl.Architectures;
using LoraDsl.Data.Chat;
using LoraDsl.Dsl;
using LoraDsl.Recipes;

namespace ChatTuning;

/// <summary>
/// Chat fine-tuning of a Qwen2-layout checkpoint: multi-turn conversations with system prompts rendered through
/// Qwen2.5's chat template; only the assistant turns (each with its &lt;|im_end|&gt;) train. LoRA on q, k, v, o.
/// Give the folder with <c>--set model.path=/path/to/checkpoint</c>.
/// </summary>
[LoraRecipe("qwen-chat", typeof(Llama))]
public partial class ChatRecipe
{
    static void Configure(RecipeBuilder r) => r
        .Model(m => m.FromDirectory("models/tiny-qwen"))
        .Lora(l => l.Rank(8).Alpha(16).Preset(Preset.QKVO))
        .Data(d => d
            .JsonLines(Path.Combine(AppContext.BaseDirectory, "data", "conversations.jsonl"))
            .Chat()
            .ChatTemplateFile(Path.Combine(AppContext.BaseDirectory, "qwen2.5-chat-template.jinja"))
            .TrainOn(ChatTrainOn.Assistant)
            .MaxTokens(512)
            .ValidationFraction(0.1))
        .Training(t => t
            .LearningRate(2e-3)
            .Epochs(1)
            .BatchSize(4)
            .EvalEvery(20)
            .OutputDirectory("runs/qwen-chat"));
}
