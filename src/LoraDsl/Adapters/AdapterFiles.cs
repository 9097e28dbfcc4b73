namespace LoraDsl.Adapters;

/// <summary>The file and tensor names of a PEFT adapter folder.</summary>
public static class AdapterFiles
{
    public const string ConfigFile = "adapter_config.json";

    public const string WeightsFile = "adapter_model.safetensors";

    /// <summary>PEFT's prefix on every saved tensor: the PeftModel wraps the model as base_model.model.</summary>
    public const string TensorPrefix = "base_model.model.";

    /// <summary>Our own safetensors metadata key: output ranges, {"path": [[offset, length], ...]} (older files: one [offset, length]); PEFT ignores it.</summary>
    public const string OutputSlicesMetadataKey = "loradsl.output_slices";

    public static string LoraA(string modulePath) => $"{TensorPrefix}{modulePath}.lora_A.weight";

    public static string LoraB(string modulePath) => $"{TensorPrefix}{modulePath}.lora_B.weight";

    /// <summary>PEFT's names on an embedding: lora_embedding_A [r, vocab] / lora_embedding_B [dim, r], without ".weight".</summary>
    public static string LoraA(string modulePath, bool embedding) => embedding ? $"{TensorPrefix}{modulePath}.lora_embedding_A" : LoraA(modulePath);

    public static string LoraB(string modulePath, bool embedding) => embedding ? $"{TensorPrefix}{modulePath}.lora_embedding_B" : LoraB(modulePath);

    /// <summary>A variant's extra tensor (DoRA: "lora_magnitude_vector", saved without ".weight").</summary>
    public static string Extra(string modulePath, string name) => $"{TensorPrefix}{modulePath}.{name}";

    /// <summary>PEFT's trainable tokens of a module: its TrainableTokensWrapper's token_adapter, "default" stripped; [n, dim].</summary>
    public static string TrainableTokensDelta(string modulePath) => $"{TensorPrefix}{modulePath}.token_adapter.trainable_tokens_delta";

    /// <summary>A plain model parameter saved with the adapter (modules_to_save, biases).</summary>
    public static string Parameter(string parameterPath) => $"{TensorPrefix}{parameterPath}";
}
