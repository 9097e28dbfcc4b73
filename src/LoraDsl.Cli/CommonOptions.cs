using System.CommandLine;

namespace LoraDsl.Cli;

/// <summary>Options several commands share, so their names and help read the same everywhere.</summary>
static class CommonOptions
{
    public static Option<string?> Model() => new("--model", "-m") { Description = "Hugging Face checkpoint folder or built-in name (all-MiniLM-L6-v2); default: the adapter's base model" };

    public static Option<string[]> Adapter() => new("--adapter", "-a")
    {
        Description = "PEFT adapter folder (adapter_config.json + adapter_model.safetensors); repeat as --adapter NAME=DIR to load several",
        AllowMultipleArgumentsPerToken = false,
    };

    public static Option<string?> Use() => new("--use")
    {
        Description = "Adapters to apply, NAME[,NAME...] (their outputs add up), or 'base' for none; default: the first --adapter",
    };

    /// <param name="fallback">The device without --device and without $LORADSL_DEVICE (merge, quantize, combine and logits keep "cpu").</param>
    public static Option<string> Device(string fallback = "auto") => new("--device")
    {
        Description = $"auto, cpu, cuda or cuda:N (default: ${LoraDsl.Native.TorchDevice.EnvironmentVariable}, else {fallback})",
        DefaultValueFactory = _ => Environment.GetEnvironmentVariable(LoraDsl.Native.TorchDevice.EnvironmentVariable) is { Length: > 0 } device ? device : fallback,
    };

    public static Option<string[]> Set() => new("--set") { Description = "Override a recipe setting, key=value (repeatable), e.g. --set lora.r=8 --set training.max_steps=20" };

    /// <summary>The dtype the model computes in: fp32 (default) or bf16 (also the 4-bit layers' compute dtype).</summary>
    public static Option<string> Dtype(string defaultValue = "fp32") =>
        new("--dtype") { Description = "Compute dtype: fp32 or bf16", DefaultValueFactory = _ => defaultValue };

    /// <summary>The torch dtype <paramref name="name"/> (fp32, bf16) names.</summary>
    public static TorchSharp.torch.ScalarType ParseDtype(string? name) => name switch
    {
        "fp32" or "float32" => TorchSharp.torch.ScalarType.Float32,
        "bf16" or "bfloat16" => TorchSharp.torch.ScalarType.BFloat16,
        _ => throw new ArgumentException($"--dtype: '{name}' is not fp32 or bf16."),
    };

    public static Argument<string> Recipe() => new("recipe") { Description = "Recipe name (see `list`)" };
}
