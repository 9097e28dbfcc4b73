using LoraDsl.Training;
using Spectre.Console;
using Xunit;

namespace LoraDsl.Tests.Training;

public class ConsoleTrainingReporterTests
{
    static (IAnsiConsole Console, StringWriter Text) Capture()
    {
        var text = new StringWriter();
        return (AnsiConsole.Create(new AnsiConsoleSettings
        {
            Ansi = AnsiSupport.No, ColorSystem = ColorSystemSupport.NoColors, Interactive = InteractionSupport.No,
            Out = new AnsiConsoleOutput(text),
        }), text);
    }

    static TrainingResult Result(IReadOnlyList<StepMetrics> steps) =>
        new(TrainingStatus.Completed, "done", 0, steps.Count, steps, [], null, "/tmp/x/checkpoint-last", null, "/tmp/x");

    static StepMetrics Step(int step) =>
        new(step, 3, 1, 2.5 - step * 0.1, 1e-4, 0.7, 1234, TimeSpan.FromSeconds(step), TimeSpan.FromSeconds(3 - step));

    [Fact]
    public void LiveModeRunsTheProgressDisplayAndEndsWithTheSummary()
    {
        var (console, text) = Capture();
        using var reporter = new ConsoleTrainingReporter(console, live: true);
        reporter.OnStart(new TrainingPlan(3, 3, 1, 0, 0, 10, 100, 12, 4, "/tmp/x"));
        var steps = Enumerable.Range(1, 3).Select(Step).ToList();
        foreach (var s in steps) reporter.OnStep(s);
        reporter.OnEnd(Result(steps));
        var output = text.ToString();
        Assert.Contains("10 of 100 parameters trainable", output);
        Assert.Contains("Run summary", output);
        Assert.Contains("2.2000", output);
    }

    [Fact]
    public void PlainModeWritesOneLinePerLogInterval()
    {
        var (console, text) = Capture();
        using var reporter = new ConsoleTrainingReporter(console, live: false, logEvery: 2);
        reporter.OnStart(new TrainingPlan(3, 3, 1, 0, 0, 10, 100, 12, 4, "/tmp/x"));
        var steps = Enumerable.Range(1, 3).Select(Step).ToList();
        foreach (var s in steps) reporter.OnStep(s);
        var output = text.ToString();
        Assert.DoesNotContain("step 1/3", output);
        Assert.Contains("step 2/3 | epoch 1/1 | loss 2.3000 | lr 1.00e-04", output);
        Assert.Contains("1,234 tok/s", output);
        Assert.Contains("step 3/3", output);
    }
}
