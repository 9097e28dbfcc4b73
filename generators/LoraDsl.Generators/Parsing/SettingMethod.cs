namespace LoraDsl.Generators.Parsing;

/// <summary>
/// A builder method that states more than its catalog setting (<c>d.JsonLines(files)</c>: the files and the format):
/// each entry is a key with either a fixed text or the index of the parameter that gives the value.
/// </summary>
public sealed record SettingMethod(string Builder, string Method, string Key, string? FixedText = null, int Parameter = -1)
{
    /// <summary>Methods that set several settings; every other method sets its catalog setting from its first parameter.</summary>
    public static SettingMethod[] Compound { get; } =
    [
        new("Data", "JsonLines", "data.files", Parameter: 0),
        new("Data", "JsonLines", "data.format", "jsonl"),
        new("Data", "Csv", "data.files", Parameter: 0),
        new("Data", "Csv", "data.format", "csv"),
        new("Data", "PlainText", "data.files", Parameter: 0),
        new("Data", "PlainText", "data.format", "text"),
        new("Data", "Classification", "data.task", "classification"),
        new("Data", "Classification", "data.text_field", Parameter: 0),
        new("Data", "Classification", "data.label_field", Parameter: 1),
        new("Data", "Classification", "data.labels", Parameter: 2),
        new("Data", "CausalLanguageModeling", "data.task", "causal_lm"),
        new("Data", "CausalLanguageModeling", "data.text_field", Parameter: 0),
        new("Data", "InstructionTuning", "data.task", "instruction"),
        new("Data", "Chat", "data.task", "chat"),
        new("Data", "Chat", "data.messages_field", Parameter: 0),
        new("Data", "ChatTemplateFile", "data.chat_template", Parameter: 0),
        new("Training", "Betas", "training.beta1", Parameter: 0),
        new("Training", "Betas", "training.beta2", Parameter: 1),
        new("Training", "DataParallel", "training.data_parallel", "required"),
        new("Training", "DataParallel", "training.processes", Parameter: 0),
        new("Quantization", "Nf4", "quantization.type", "nf4"),
        new("Quantization", "Fp4", "quantization.type", "fp4"),
    ];
}
