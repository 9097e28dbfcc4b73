using System.Text.Json;
using LoraDsl.Cli;

namespace LoraDsl.Tests.Examples;

/// <summary>Runs the CLI (over the quickstart's recipes) with stdout and stderr captured, one run at a time.</summary>
static class CliCapture
{
    static readonly Lock ConsoleGate = new();

    public static (int Exit, string Stdout, string Stderr) Run(string[] args) =>
        Capture(() => LoraDslCli.Run(args, Quickstart.QuickstartRecipes.All));

    /// <summary>Runs an example program's entry point (its custom commands and CLI) with captured output.</summary>
    public static (int Exit, string Stdout, string Stderr) RunProgram(Type typeInProgram, string[] args) =>
        Capture(() => (int)typeInProgram.Assembly.EntryPoint!.Invoke(null, [args])!);

    static (int Exit, string Stdout, string Stderr) Capture(Func<int> run)
    {
        lock (ConsoleGate)
        {
            var (oldOut, oldErr) = (Console.Out, Console.Error);
            var (stdout, stderr) = (new StringWriter(), new StringWriter());
            Console.SetOut(stdout);
            Console.SetError(stderr);
            try
            {
                var exit = run();
                return (exit, stdout.ToString(), stderr.ToString());
            }
            finally
            {
                Console.SetOut(oldOut);
                Console.SetError(oldErr);
            }
        }
    }

    /// <summary>All values of the "logits" array of the CLI's logits JSON, row after row.</summary>
    public static float[] Logits(string json)
    {
        using var doc = JsonDocument.Parse(json);
        return [.. doc.RootElement.GetProperty("logits").EnumerateArray().SelectMany(row => row.EnumerateArray()).Select(v => v.GetSingle())];
    }
}
