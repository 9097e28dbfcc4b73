using System.Runtime.InteropServices;

namespace LoraDsl.Cli;

/// <summary>
/// Ctrl+C and SIGTERM during training. The first signal cancels <see cref="Token"/>: the trainer finishes
/// its step, writes checkpoint-last and stops. A second signal ends the process at once.
/// Under an MPI launcher the same Ctrl+C reaches a process twice (from the terminal and forwarded by mpirun): signals within
/// <see cref="SameRequestWindow"/> of the first are one request there, and SIGUSR1 (which mpirun forwards at once) is one too.
/// </summary>
sealed class TrainingInterruption : IDisposable
{
    readonly CancellationTokenSource source = new();
    readonly TextWriter messages;
    readonly List<PosixSignalRegistration> registrations = [];
    readonly bool launchedByMpi;
    int signals;
    long firstSignalTicks;

    internal static readonly TimeSpan SameRequestWindow = TimeSpan.FromSeconds(5);
    const PosixSignal Sigusr1 = (PosixSignal)10; // Linux's number; PosixSignal has no name for it

    TrainingInterruption(TextWriter messages, bool launchedByMpi)
    {
        this.messages = messages;
        this.launchedByMpi = launchedByMpi;
    }

    public CancellationToken Token => source.Token;

    /// <summary>Handles SIGINT (Ctrl+C) and SIGTERM until disposed.</summary>
    public static TrainingInterruption Listen(TextWriter messages) => Listen(messages, Distributed.MpiLaunch.Detect() is not null);

    internal static TrainingInterruption Listen(TextWriter messages, bool launchedByMpi)
    {
        var interruption = new TrainingInterruption(messages, launchedByMpi);
        PosixSignal[] signals = launchedByMpi && OperatingSystem.IsLinux() ? [PosixSignal.SIGINT, PosixSignal.SIGTERM, Sigusr1] : [PosixSignal.SIGINT, PosixSignal.SIGTERM];
        foreach (var signal in signals)
            interruption.registrations.Add(PosixSignalRegistration.Create(signal, context => context.Cancel = !interruption.OnSignal(context.Signal.ToString())));
        return interruption;
    }

    /// <summary>One signal arrived; returns true when the process should end now (the second one).</summary>
    internal bool OnSignal(string name) => OnSignal(name, Environment.TickCount64);

    internal bool OnSignal(string name, long nowMilliseconds)
    {
        if (Interlocked.Increment(ref signals) == 1) Interlocked.Exchange(ref firstSignalTicks, nowMilliseconds);
        else if (launchedByMpi && nowMilliseconds - Interlocked.Read(ref firstSignalTicks) < SameRequestWindow.TotalMilliseconds)
            return false; // the terminal's copy and mpirun's copy of one Ctrl+C
        else
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
