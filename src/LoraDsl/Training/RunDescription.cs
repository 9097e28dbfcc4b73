using LoraDsl.Data;
using LoraDsl.Lora;

namespace LoraDsl.Training;

/// <summary>What the caller knows about a run that the trainer cannot see; all of it goes into run.json.</summary>
public sealed record RunDescription
{
    public string? RecipeName { get; init; }

    /// <summary>The recipe's C# source; run.json stores its SHA-256, not the text.</summary>
    public string? RecipeSource { get; init; }

    /// <summary>The generator's version; null = this assembly's informational version.</summary>
    public string? GeneratorVersion { get; init; }

    public DataOptions? Data { get; init; }
    public LoraOptions? Lora { get; init; }

    /// <summary>The Hugging Face folder the base model came from (config.json + weights).</summary>
    public string? BaseModelDirectory { get; init; }

    /// <summary>Where to look for the git repository; null = the current directory.</summary>
    public string? WorkingDirectory { get; init; }
}
