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

    public static Option<string> Device() => new("--device") { Description = "auto, cpu, cuda or cuda:N", DefaultValueFactory = _ => "auto" };

    public static Option<string[]> Set() => new("--set") { Description = "Override a recipe setting, key=value (repeatable), e.g. --set lora.r=8 --set training.max_steps=20" };

    public static Argument<string> Recipe() => new("recipe") { Description = "Recipe name (see `list`)" };
}
