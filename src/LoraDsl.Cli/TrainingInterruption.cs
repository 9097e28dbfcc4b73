using System.Runtime.InteropServices;

namespace LoraDsl.Cli;

/// <summary>
/// Ctrl+C and SIGTERM during training. The first signal cancels <see cref="Token"/>: the trainer finishes
/// its step, writes checkpoint-last and stops. A second signal ends the process at once.
/// </summary>
sealed class TrainingInterruption : IDisposable
{
    readonly CancellationTokenSource source = new();
    readonly TextWriter messages;
    readonly List<PosixSignalRegistration> registrations = [];
    int signals;

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

    /// <summary>One signal arrived; returns true when the process should end now (the second one).</summary>
    internal bool OnSignal(string name)
    {
        if (Interlocked.Increment(ref signals) > 1)
        {
            messages.WriteLine($"{name} again: aborting without saving.");
            return true;
        }
        messages.WriteLine($"{name}: finishing this step and writing checkpoint-last (press Ctrl+C again to abort without saving)...");
        source.Cancel();
        return false;
    }

    public void Dispose()
    {
        foreach (var r in registrations) r.Dispose();
        source.Dispose();
    }
}
