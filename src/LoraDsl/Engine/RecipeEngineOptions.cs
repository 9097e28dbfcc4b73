using LoraDsl.Training;

namespace LoraDsl.Engine;

/// <summary>How the engine runs a recipe on this machine: device, precision, resume, reporting.</summary>
public sealed record RecipeEngineOptions
{
    /// <summary>"auto", "cpu", "cuda" or "cuda:N".</summary>
    public string Device { get; init; } = "auto";

    /// <summary>Compute dtype of the frozen base: Float32 (default) or BFloat16; LoRA weights stay fp32.</summary>
    public TorchSharp.torch.ScalarType ComputeDtype { get; init; } = TorchSharp.torch.ScalarType.Float32;

    /// <summary>A checkpoint folder (checkpoint-last) to resume from.</summary>
    public string? ResumeFrom { get; init; }

    /// <summary>Cancelled by Ctrl+C/SIGTERM: training finishes its step, writes checkpoint-last and stops.</summary>
    public CancellationToken Cancellation { get; init; }

    /// <summary>Let a new run replace an earlier LoraDsl run in the output folder (never other files).</summary>
    public bool Overwrite { get; init; }

    /// <summary>Progress and metrics observers; null = a console reporter.</summary>
    public IReadOnlyList<ITrainingObserver>? Observers { get; init; }

    /// <summary>Evaluate once before training so the report shows before/after.</summary>
    public bool EvaluateBeforeTraining { get; init; } = true;

    /// <summary>The recipe's C# source, hashed into run.json when known.</summary>
    public string? RecipeSource { get; init; }

    /// <summary>Receives the engine's own messages (trainable parameters, where files went).</summary>
    public Action<string> Log { get; init; } = Console.WriteLine;
}
