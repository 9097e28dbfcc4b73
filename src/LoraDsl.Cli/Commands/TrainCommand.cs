using System.CommandLine;
using System.Globalization;
using LoraDsl.Recipes;
using LoraDsl.Training;

namespace LoraDsl.Cli.Commands;

/// <summary>`train &lt;recipe&gt;`: runs the recipe's generated entry point on the engine.</summary>
static class TrainCommand
{
    public static Command Create(RecipeCatalog catalog)
    {
        var recipe = CommonOptions.Recipe();
        var set = CommonOptions.Set();
        var device = CommonOptions.Device();
        var resume = new Option<string?>("--resume") { Description = "Resume from a checkpoint folder (e.g. runs/x/checkpoint-last)" };
        var overwrite = new Option<bool>("--overwrite") { Description = "Replace an earlier run in the output folder (only a folder LoraDsl wrote as a run)" };
        var command = new Command("train", "Train a recipe: load the checkpoint, place adapters, tokenize the data, train, save the adapter")
        {
            recipe, set, device, resume, overwrite,
        };
        command.SetAction(parsed =>
        {
            var entry = catalog.Find(parsed.GetValue(recipe)!);
            using var interruption = TrainingInterruption.Listen(Console.Error);
            var processes = Distributed.ProcessGroup.Current;
            var report = entry.Run(new RecipeRunContext
            {
                Processes = processes,
                // Under data parallelism process 0 speaks for the job.
                Log = processes.IsWriter ? Console.WriteLine : _ => { },
                Overrides = RecipeCatalog.Overrides(parsed.GetValue(set)),
                Device = parsed.GetValue(device)!,
                ResumeFrom = parsed.GetValue(resume),
                Overwrite = parsed.GetValue(overwrite),
                Cancellation = interruption.Token,
            });
            // Under data parallelism process 0 reports; the others end with the same status silently.
            if (!processes.IsWriter)
                return report.Training.Status switch { TrainingStatus.Completed => 0, TrainingStatus.Cancelled => 130, _ => 1 };
            if (report.Training is { Status: TrainingStatus.Cancelled, LastCheckpoint: { } checkpoint } stopped)
            {
                var sets = string.Concat((parsed.GetValue(set) ?? []).Select(s => $" --set {s}"));
                Console.Error.WriteLine($"interrupted: {stopped.Message}");
                Console.Error.WriteLine($"to resume: train {entry.Name}{sets} --resume {checkpoint}");
                return 130; // as a shell reports a process Ctrl+C ended
            }
            PrintComparison(report.Before, report.Training.Evaluations.LastOrDefault());
            // A resumed run that was already complete trains no step: there is no final loss to print.
            var final = report.Training.Steps.Count > 0
                ? $"final loss {report.Training.Steps[^1].Loss.ToString("F4", CultureInfo.InvariantCulture)}"
                : "no step trained in this run";
            Console.WriteLine($"{report.Recipe}: {report.AdaptersPlaced} adapters, {report.TrainingExamples} training examples, " +
                $"{report.Training.FinalStep} steps, {final}");
            Console.WriteLine(report.Training.Message);
            Console.WriteLine($"outputs: {report.Training.OutputDirectory} (adapter/, checkpoint-best/, checkpoint-last/, metrics.jsonl, loss_curve.png, run.json)");
            return report.Training.Status == TrainingStatus.Completed ? 0 : 1;
        });
        return command;
    }

    /// <summary>Validation metrics before and after training, side by side.</summary>
    internal static void PrintComparison(EvaluationMetrics? before, EvaluationMetrics? after)
    {
        if (after is null) return;
        Console.WriteLine();
        Console.WriteLine($"{"validation",-22}{"before",10}{"after",10}");
        Row("loss", before?.Loss, after.Loss);
        if (after.Perplexity is not null) Row("perplexity", before?.Perplexity, after.Perplexity);
        if (after.Accuracy is not null) Row("accuracy", before?.Accuracy, after.Accuracy);
        foreach (var c in after.Classes)
        {
            var b = before?.Classes.FirstOrDefault(x => x.Label == c.Label);
            Row($"{c.Label} precision", b?.Precision, c.Precision);
            Row($"{c.Label} recall", b?.Recall, c.Recall);
            Row($"{c.Label} F1", b?.F1, c.F1);
        }
        Console.WriteLine();

        static void Row(string name, double? before, double? after) =>
            Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"{name,-22}{Format(before),10}{Format(after),10}"));

        static string Format(double? v) => v is { } x ? x.ToString("F4", CultureInfo.InvariantCulture) : "-";
    }
}
