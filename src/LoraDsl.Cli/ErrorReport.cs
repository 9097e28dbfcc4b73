using System.Reflection;

namespace LoraDsl.Cli;

/// <summary>
/// What the CLI prints for a failure: the outer message (it names the file, tensor or setting) and each
/// inner message that adds something (the parser's own words), one per line.
/// </summary>
static class ErrorReport
{
    public static IReadOnlyList<string> Lines(Exception error)
    {
        var lines = new List<string>();
        for (Exception? e = error; e is not null; e = e.InnerException)
        {
            // Wrappers that only say "an invocation failed" add nothing.
            if (e is TargetInvocationException or AggregateException { InnerExceptions.Count: 1 } && e.InnerException is not null) continue;
            var message = e.Message.Trim();
            if (message.Length == 0 || lines.Any(l => l.Contains(message, StringComparison.Ordinal))) continue;
            lines.Add(message);
        }
        return lines;
    }

    public static void Write(Exception error, TextWriter to)
    {
        var lines = Lines(error);
        to.WriteLine($"error: {(lines.Count > 0 ? lines[0] : error.GetType().Name)}");
        foreach (var line in lines.Skip(1)) to.WriteLine($"  because: {line}");
    }
}
