using System.Runtime.InteropServices;

namespace LoraDsl.Cli;

/// <summary>
/// Ctrl+C and SIGTERM during training. The first signal cancels <see cref="Token"/>: the trainer finishes
/// its step, writes checkpoint-last and stops. A second signal ends the process at once, except a repeat of the
/// first within a second: a group kill of <c>dotnet run</c> (timeout, docker stop, systemd, Slurm) delivers the same
/// SIGTERM twice, once directly and once forwarded, and that is one request to stop.
/// </summary>
sealed class TrainingInterruption : IDisposable
{
    readonly CancellationTokenSource source = new();
    readonly TextWriter messages;
    readonly List<PosixSignalRegistration> registrations = [];
    /// <summary>How long a repeat of the first signal counts as the same request.</summary>
    internal static readonly TimeSpan RepeatWindow = TimeSpan.FromSeconds(1);

    readonly object gate = new();
    string? first;
    long firstAt;
    bool stopping;

    TrainingInterruption(TextWriter messages) => this.messages = messages;

    public CancellationToken Token => source.Token;

    /// <summary>Handles SIGINT (Ctrl+C) and SIGTERM until disposed.</summary>
    public static TrainingInterruption Listen(TextWriter messages)
    {
        var interruption = new TrainingInterruption(messages);
        foreach (var signal in new[] { PosixSignal.SIGINT, PosixSignal.SIGTERM })
            interruption.registrations.Add(PosixSignalRegistration.Create(signal, context => context.Cancel = !interruption.OnSignal(context.Signal.ToString())));
        return interruption;
    }

    /// <summary>One signal arrived; returns true when the process should end now (a second request).</summary>
    internal bool OnSignal(string name) => OnSignal(name, Environment.TickCount64);

    /// <param name="name">The signal.</param>
    /// <param name="nowMilliseconds">When it arrived (<see cref="Environment.TickCount64"/>).</param>
    internal bool OnSignal(string name, long nowMilliseconds)
    {
        lock (gate)
        {
            if (first is null)
            {
                (first, firstAt) = (name, nowMilliseconds);
                messages.WriteLine($"{name}: finishing this step and writing checkpoint-last (press Ctrl+C again to abort without saving)...");
                source.Cancel();
                return false;
            }
            if (!stopping && name == first && nowMilliseconds - firstAt < (long)RepeatWindow.TotalMilliseconds) return false;
            stopping = true;
            messages.WriteLine($"{name} again: aborting without saving.");
            return true;
        }
    }

    public void Dispose()
    {
        foreach (var r in registrations) r.Dispose();
        source.Dispose();
    }
}
