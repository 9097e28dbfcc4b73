using System.CommandLine;
using System.CommandLine.Help;
using LoraDsl.Cli.Commands;
using LoraDsl.Distributed;
using LoraDsl.Native;
using LoraDsl.Recipes;

namespace LoraDsl.Cli;

/// <summary>
/// The `loradsl` command line, hosted by a program that declares recipes:
/// <c>return LoraDslCli.Run(args, LoraDslRecipes.All);</c>.
/// </summary>
public static class LoraDslCli
{
    public static int Run(string[] args, IReadOnlyDictionary<string, RecipeEntry> recipes, string? programName = null)
    {
        var catalog = new RecipeCatalog(recipes);
        var root = new RootCommand($"{programName ?? "loradsl"}: LoRA fine-tuning recipes written in C#")
        {
            ListCommand.Create(catalog),
            TrainCommand.Create(catalog),
            EvalCommand.Create(catalog),
            PredictCommand.Create(),
            GenerateCommand.Create(),
            ChatCommand.Create(),
            PreviewCommand.Create(catalog),
            MergeCommand.Create(),
            LintCommand.Create(),
            CombineCommand.Create(),
            QuantizeCommand.Create(),
            InspectCommand.Create(catalog),
            LogitsCommand.Create(),
            ExportGgufCommand.Create(),
            ReproduceCommand.Create(catalog),
            TemplateCommand.Create(),
        };
        var parsed = root.Parse(args);
        try
        {
            // libtorch first, before any command's first torch call: a failed load then says why (TorchNativeException).
            // `template` renders text only: it needs no libtorch.
            if (parsed.Errors.Count == 0 && parsed.Action is not HelpAction && parsed.CommandResult.Command.Name != "template") TorchNative.EnsureLoaded();
            return parsed.Invoke(new InvocationConfiguration { EnableDefaultExceptionHandler = false });
        }
        catch (Exception e) when (e is not OutOfMemoryException)
        {
            // The messages a person can act on; the stack only when asked for.
            ErrorReport.Write(e, Console.Error);
            if (Environment.GetEnvironmentVariable("LORADSL_DEBUG") == "1") Console.Error.WriteLine(e);
            // Under MPI the other processes wait in a collective for this one: end the whole job, naming this process.
            if (ProcessGroup.Joined is { IsDistributed: true } processes) processes.Abort($"{e.GetType().Name}: {e.Message}");
            return 1;
        }
    }
}
