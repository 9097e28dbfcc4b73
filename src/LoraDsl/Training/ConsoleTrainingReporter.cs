using System.Globalization;
using Spectre.Console;

namespace LoraDsl.Training;

/// <summary>
/// Shows a run on the console: a live progress bar (step, epoch, loss, lr, tokens/s, ETA) on a
/// terminal, one plain line every LogEvery steps when output is redirected or under CI, and a
/// summary table at the end.
/// </summary>
public sealed class ConsoleTrainingReporter : ITrainingObserver, IDisposable
{
    readonly IAnsiConsole console;
    readonly bool live;
    readonly int logEvery;
    TrainingPlan? plan;
    ProgressTask? bar;
    Task? display;
    readonly ManualResetEventSlim barReady = new();
    readonly ManualResetEventSlim finished = new();
    EvaluationMetrics? lastEvaluation;

    /// <param name="live">null = live unless output is redirected or the CI variable is set.</param>
    public ConsoleTrainingReporter(IAnsiConsole? console = null, bool? live = null, int logEvery = 1)
    {
        this.live = live ?? IsInteractive();
        this.console = console ?? AnsiConsole.Console;
        // Plain logs are one line per step: a redirected console would otherwise wrap at 80 columns.
        if (console is null && !this.live) this.console.Profile.Width = 240;
        this.logEvery = Math.Max(1, logEvery);
    }

    /// <summary>A terminal that can redraw: not redirected and not CI.</summary>
    public static bool IsInteractive() =>
        !Console.IsOutputRedirected && string.IsNullOrEmpty(Environment.GetEnvironmentVariable("CI"));

    public void OnStart(TrainingPlan plan)
    {
        this.plan = plan;
        console.MarkupLineInterpolated(
            $"[bold]Training[/] {plan.TotalSteps} steps ({plan.StepsPerEpoch}/epoch × {plan.Epochs}), warmup {plan.WarmupSteps}, {plan.TrainableParameters:N0} of {plan.TotalParameters:N0} parameters trainable ({Percent(plan.TrainableParameters, plan.TotalParameters)}), {plan.TrainExamples} train / {plan.ValidationExamples} validation examples → {plan.OutputDirectory}");
        if (plan.StartStep > 0) console.MarkupLineInterpolated($"Resuming at step {plan.StartStep}.");
        if (!live) return;
        display = Task.Run(() => console.Progress()
            .AutoClear(false)
            .HideCompleted(false)
            .Columns(new TaskDescriptionColumn { Alignment = Justify.Left }, new ProgressBarColumn(), new PercentageColumn(),
                new ElapsedTimeColumn(), new RemainingTimeColumn(), new SpinnerColumn())
            .Start(context =>
            {
                bar = context.AddTask("starting", maxValue: plan.TotalSteps);
                bar.Value = plan.StartStep;
                barReady.Set();
                finished.Wait();
                context.Refresh();
            }));
        barReady.Wait();
    }

    public void OnStep(StepMetrics m)
    {
        if (live && bar is not null)
        {
            bar.Value = m.Step;
            bar.Description = Markup.Escape(Line(m));
            return;
        }
        if (m.Step % logEvery == 0 || m.Step == m.TotalSteps) console.WriteLine(Line(m));
    }

    public void OnEvaluation(EvaluationMetrics m)
    {
        lastEvaluation = m;
        if (live) return;
        console.WriteLine(EvaluationLine(m));
    }

    public void OnEnd(TrainingResult result)
    {
        StopDisplay();
        if (live && lastEvaluation is not null) console.WriteLine(EvaluationLine(lastEvaluation));
        var colour = result.Status switch { TrainingStatus.Completed => "green", TrainingStatus.Cancelled => "yellow", _ => "red" };
        console.MarkupLineInterpolated($"[{colour}]{result.Status}[/]: {result.Message}");

        var summary = new Table().Title("Run summary").AddColumn("").AddColumn("");
        summary.AddRow("Steps", $"{result.StartStep} → {result.FinalStep}");
        if (result.Steps.Count > 0)
        {
            summary.AddRow("Final train loss", Format(result.Steps[^1].Loss));
            summary.AddRow("Elapsed", result.Steps[^1].Elapsed.ToString(@"hh\:mm\:ss", CultureInfo.InvariantCulture));
            summary.AddRow("Tokens/s", result.Steps[^1].TokensPerSecond.ToString("N0", CultureInfo.InvariantCulture));
        }
        if (result.BestEvaluation is { } best)
        {
            summary.AddRow("Best eval loss", $"{Format(best.Loss)} (step {best.Step})");
            if (best.Perplexity is { } p) summary.AddRow("Perplexity", Format(p));
            if (best.Accuracy is { } a) summary.AddRow("Accuracy", a.ToString("P2", CultureInfo.InvariantCulture));
        }
        if (result.LastCheckpoint is { } last) summary.AddRow("Last checkpoint", Markup.Escape(last));
        if (result.BestCheckpoint is { } bestDir) summary.AddRow("Best checkpoint", Markup.Escape(bestDir));
        summary.AddRow("Output", Markup.Escape(result.OutputDirectory));
        console.Write(summary);

        if (result.BestEvaluation is { Classes.Count: > 0 } scored)
        {
            var classes = new Table().Title($"Per class (step {scored.Step})")
                .AddColumn("label").AddColumn("precision").AddColumn("recall").AddColumn("F1").AddColumn("support");
            foreach (var c in scored.Classes)
                classes.AddRow(Markup.Escape(c.Label), Format(c.Precision), Format(c.Recall), Format(c.F1), c.Support.ToString(CultureInfo.InvariantCulture));
            console.Write(classes);
        }
    }

    public void Dispose()
    {
        StopDisplay();
        barReady.Dispose();
        finished.Dispose();
    }

    void StopDisplay()
    {
        if (display is null) return;
        finished.Set();
        display.Wait();
        display = null;
    }

    string Line(StepMetrics m) => string.Create(CultureInfo.InvariantCulture,
        $"step {m.Step}/{m.TotalSteps} | epoch {m.Epoch}/{plan?.Epochs ?? m.Epoch} | loss {Format(m.Loss)} | lr {m.LearningRate:0.00e+00} | " +
        $"grad {Format(m.GradientNorm)} | {m.TokensPerSecond:N0} tok/s | eta {m.Remaining:hh\\:mm\\:ss}");

    static string EvaluationLine(EvaluationMetrics m)
    {
        var line = string.Create(CultureInfo.InvariantCulture, $"eval @ step {m.Step} | loss {Format(m.Loss)}");
        if (m.Perplexity is { } p) line += $" | perplexity {Format(p)}";
        if (m.Accuracy is { } a) line += " | accuracy " + a.ToString("P2", CultureInfo.InvariantCulture);
        return line;
    }

    static string Format(double value) => value.ToString("0.0000", CultureInfo.InvariantCulture);

    static string Percent(long part, long whole) =>
        whole == 0 ? "0%" : ((double)part / whole).ToString("P3", CultureInfo.InvariantCulture);
}
