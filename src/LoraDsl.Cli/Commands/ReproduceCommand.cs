using System.CommandLine;
using System.Globalization;
using LoraDsl.Recipes;
using LoraDsl.Training;

namespace LoraDsl.Cli.Commands;

/// <summary>
/// `reproduce &lt;run.json&gt;`: runs the recorded recipe again with the recorded overrides into a new folder, after
/// checking that the recipe source and the data are the ones recorded, and compares the losses step by step.
/// </summary>
static class ReproduceCommand
{
    public static Command Create(RecipeCatalog catalog)
    {
        var runFile = new Argument<string>("run.json") { Description = "The run.json of the run to repeat" };
        var output = new Option<string?>("--output") { Description = "Folder for the new run (default: <run folder>-reproduce-<time>); must be new or empty" };
        var force = new Option<bool>("--force") { Description = "Run even when the recipe source, the data or the base model differ from what run.json recorded, or run.json lacks a record of them" };
        var device = CommonOptions.Device();
        var command = new Command("reproduce", "Repeat a recorded run (same recipe, overrides and seed) and compare its losses with the recorded ones")
        {
            runFile, output, force, device,
        };
        command.SetAction(parsed =>
        {
            var record = RunRecord.Read(parsed.GetValue(runFile)!);
            var entry = catalog.Find(record.RecipeName);
            // Every check before the rerun: the recorded losses must be readable, and what is not recorded cannot be trusted.
            var recorded = record.RecordedLosses();
            var problems = record.ReproduceProblems(entry.Build(null).SourceSha256);
            if (problems.Count > 0 && !parsed.GetValue(force))
            {
                Console.Error.WriteLine($"error: cannot reproduce {record.RunFile}: {string.Join("; ", problems)}. Pass --force to run anyway.");
                return 2;
            }
            foreach (var p in problems) Console.Error.WriteLine($"warning: {p}");

            var folder = Path.GetFullPath(parsed.GetValue(output) ?? $"{record.Directory.TrimEnd(Path.DirectorySeparatorChar)}-reproduce-{DateTime.UtcNow:yyyyMMdd-HHmmss}");
            if (Directory.Exists(folder) && Directory.EnumerateFileSystemEntries(folder).Any())
                throw new ArgumentException($"Output folder '{folder}' is not empty; give --output a new or empty folder.");
            var overrides = record.Overrides.Where(o => o.Key != "training.output_dir").Append(new("training.output_dir", folder)).ToList();
            var report = entry.Run(new RecipeRunContext { Overrides = overrides, Device = parsed.GetValue(device)! });

            var compared = 0;
            foreach (var step in report.Training.Steps)
            {
                if (!recorded.TryGetValue(step.Step, out var before)) continue;
                compared++;
                if (before.Equals(step.Loss)) continue;
                Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
                    $"differs at step {step.Step}: recorded loss {before:R}, reproduced {step.Loss:R} (new run: {folder})"));
                return 1;
            }
            Console.WriteLine($"reproduced {record.RecipeName}: {compared} of {recorded.Count} recorded steps compared, losses identical (new run: {folder})");
            return compared == recorded.Count && report.Training.Status == TrainingStatus.Completed ? 0 : 1;
        });
        return command;
    }
}
