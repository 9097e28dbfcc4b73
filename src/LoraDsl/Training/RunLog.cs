using System.Diagnostics;
using LoraDsl.Distributed;

namespace LoraDsl.Training;

/// <summary>
/// What a run reports as it goes: each step, evaluation and checkpoint reaches metrics.jsonl/metrics.csv and the
/// observers (console progress, user hooks); at the end the loss curve and the <see cref="TrainingResult"/>.
/// The generated loop calls it after each thing it did; it decides nothing about training.
/// </summary>
public sealed class RunLog : IDisposable
{
    readonly string output;
    readonly TrainingPlan plan;
    readonly bool writes;
    readonly List<ITrainingObserver> observers;
    readonly List<StepMetrics> steps = [];
    readonly List<EvaluationMetrics> evaluations = [];
    readonly Stopwatch clock = Stopwatch.StartNew();
    long tokensThisRun;
    EvaluationMetrics? best;

    /// <param name="output">The run folder.</param>
    /// <param name="plan">The plan, with <see cref="TrainingPlan.StartStep"/> the step the run starts (or resumes) at.</param>
    /// <param name="observers">Progress reporters (the log disposes them); metrics files are always written.</param>
    /// <param name="resumedFrom">The checkpoint a resumed run starts from (its metrics files are appended to).</param>
    /// <param name="processes">Under data parallelism only process 0 writes files and reports; the others keep the results silently.</param>
    public RunLog(string output, TrainingPlan plan, IEnumerable<ITrainingObserver> observers, string? resumedFrom = null, ProcessGroup? processes = null)
    {
        this.output = output;
        this.plan = plan;
        writes = processes?.IsWriter ?? true;
        this.observers = writes ? [new MetricsFileWriter(output, append: resumedFrom is not null), .. observers] : [];
        if (resumedFrom is not null && writes)
        {
            LastCheckpoint = AtomicFile.RecoverDirectory(Path.Combine(output, TrainingCheckpoint.LastName));
            BestCheckpoint = AtomicFile.RecoverDirectory(Path.Combine(output, TrainingCheckpoint.BestName));
        }
        foreach (var o in this.observers) o.OnStart(plan);
    }

    public TrainingStatus Status { get; private set; } = TrainingStatus.Completed;

    public string Message { get; private set; } = "";

    public string? LastCheckpoint { get; private set; }

    public string? BestCheckpoint { get; private set; }

    /// <summary>The step of the latest evaluation this run made, if any.</summary>
    public int? LastEvaluationStep => evaluations.Count > 0 ? evaluations[^1].Step : null;

    public void Step(TrainerState state, StepOutcome outcome, double learningRate)
    {
        tokensThisRun += outcome.Tokens;
        var elapsed = clock.Elapsed;
        var done = state.GlobalStep - plan.StartStep;
        var remaining = TimeSpan.FromTicks((long)(elapsed.Ticks / (double)Math.Max(done, 1) * (plan.TotalSteps - state.GlobalStep)));
        var step = new StepMetrics(state.GlobalStep, plan.TotalSteps, state.Epoch + 1, outcome.Loss, learningRate, outcome.GradientNorm,
            elapsed.TotalSeconds > 0 ? tokensThisRun / elapsed.TotalSeconds : 0, elapsed, remaining);
        steps.Add(step);
        foreach (var o in observers) o.OnStep(step);
    }

    public void Evaluation(EvaluationMetrics evaluation)
    {
        evaluations.Add(evaluation);
        foreach (var o in observers) o.OnEvaluation(evaluation);
    }

    /// <summary>A checkpoint was written to <paramref name="directory"/> (checkpoint-last, or checkpoint-best for <paramref name="bestEvaluation"/>).</summary>
    public void Checkpoint(string directory, TrainerState state, EvaluationMetrics? bestEvaluation = null)
    {
        if (bestEvaluation is null) LastCheckpoint = directory;
        else (BestCheckpoint, best) = (directory, bestEvaluation);
        foreach (var o in observers) o.OnCheckpoint(directory, state.GlobalStep);
    }

    /// <summary>The NaN stop: the step after <paramref name="state"/> gave a non-finite loss or gradient.</summary>
    public void Diverged(TrainerState state, StepOutcome outcome)
    {
        Status = TrainingStatus.Diverged;
        Message = outcome.DivergenceReason(state.GlobalStep + 1, state.Epoch + 1) + " " +
                  (LastCheckpoint is not null ? $"The last good checkpoint is kept at {LastCheckpoint}." : "No checkpoint had been written yet.") +
                  " Lower the learning rate or enable gradient clipping.";
    }

    /// <summary>Stopped on request (Ctrl+C) after <paramref name="state"/>'s step, with checkpoint-last written.</summary>
    public void Cancelled(TrainerState state)
    {
        Status = TrainingStatus.Cancelled;
        Message = $"Stopped at step {state.GlobalStep} of {plan.TotalSteps}; resume from {LastCheckpoint}.";
    }

    /// <summary>Writes the loss curve and tells the observers how the run ended.</summary>
    public TrainingResult End(TrainerState state)
    {
        if (Status == TrainingStatus.Completed && steps.Count == 0 && plan.StartStep >= plan.TotalSteps && plan.StartStep > 0)
            Message = $"The run was already complete: its checkpoint is at step {state.GlobalStep} of {plan.TotalSteps}, so no step was trained. " +
                "Raise training.max_steps or training.epochs to train further, or use --overwrite to train again from the start.";
        else if (Status == TrainingStatus.Completed)
            Message = $"Finished {state.GlobalStep} steps" + (state.BestEvalLoss is { } b ? $"; best eval loss {b:G5} at step {state.BestStep}." : ".");
        if (writes && (steps.Count > 0 || evaluations.Count > 0))
            TrainingCurvePlot.Save(Path.Combine(output, TrainingCheckpoint.CurveFile), steps, evaluations);
        var result = new TrainingResult(Status, Message, plan.StartStep, state.GlobalStep, steps, evaluations,
            best ?? evaluations.FirstOrDefault(e => e.Step == state.BestStep), LastCheckpoint, BestCheckpoint, output);
        foreach (var o in observers) o.OnEnd(result);
        return result;
    }

    /// <summary>Closes the metrics files and disposes the observers that are disposable (the log owns them).</summary>
    public void Dispose()
    {
        foreach (var o in observers) (o as IDisposable)?.Dispose();
        Outputs.RunFolderLock.Release(output);
    }
}
