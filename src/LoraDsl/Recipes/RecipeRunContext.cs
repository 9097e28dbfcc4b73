using LoraDsl.Training;

namespace LoraDsl.Recipes;

/// <summary>What a run needs besides the recipe: overrides, device, resume point, reporting and cancellation.</summary>
public sealed record RecipeRunContext
{
    /// <summary>The <c>--set</c> overrides, applied after the recipe's own settings.</summary>
    public IReadOnlyList<KeyValuePair<string, string>> Overrides { get; init; } = [];

    /// <summary>"auto", "cpu", "cuda" or "cuda:N".</summary>
    public string Device { get; init; } = "auto";

    /// <summary>A checkpoint folder (checkpoint-last) to resume from.</summary>
    public string? ResumeFrom { get; init; }

    /// <summary>Progress observers (metrics files are always written); null = a console reporter.</summary>
    public IReadOnlyList<ITrainingObserver>? Observers { get; init; }

    /// <summary>Evaluate once before the first step, so the report shows before and after.</summary>
    public bool EvaluateBeforeTraining { get; init; } = true;

    /// <summary>Receives the run's own messages (adapters placed, trainable parameters, where files went).</summary>
    public Action<string> Log { get; init; } = Console.WriteLine;

    /// <summary>Let the run replace an earlier LoraDsl run in its output folder (never other files); see <see cref="RunFolder"/>.</summary>
    public bool Overwrite { get; init; }

    /// <summary>
    /// The processes training together: MPI's world when an MPI launcher (mpirun, srun) started this process, else one
    /// process. Each runs its share of every step's micro-batches; process 0 alone writes files.
    /// </summary>
    public Distributed.ProcessGroup Processes { get; init; } = Distributed.ProcessGroup.Current;

    /// <summary>Stops the loop after the current step with checkpoint-last written (Ctrl+C).</summary>
    public CancellationToken Cancellation { get; init; }

    /// <summary>The observers to use: <see cref="Observers"/>, or a console reporter.</summary>
    public IReadOnlyList<ITrainingObserver> ObserversOrConsole(TrainingOptions training) =>
        Observers ?? [new ConsoleTrainingReporter(logEvery: training.LogEvery)];
}
