using System.Runtime.InteropServices;

namespace LoraDsl.Cli;

/// <summary>
/// Ctrl+C and SIGTERM during training. The first signal cancels <see cref="Token"/>: the trainer finishes
/// its step, writes checkpoint-last and stops. A second signal ends the process at once, except a repeat of the
/// first within a second: a group kill of <c>dotnet run</c> (timeout, docker stop, systemd, Slurm) delivers the same
/// SIGTERM twice, once directly and once forwarded, and that is one request to stop.
/// Under an MPI launcher a Ctrl+C reaches each process from the terminal and again from mpirun (which also forwards
/// SIGUSR1 at once, the clean way to stop a job): any signal within <see cref="MpiRepeatWindow"/> of the first is that one request.
/// </summary>
sealed class TrainingInterruption : IDisposable
{
    readonly CancellationTokenSource source = new();
    readonly TextWriter messages;
    readonly List<PosixSignalRegistration> registrations = [];
    /// <summary>How long a repeat of the first signal counts as the same request.</summary>
    internal static readonly TimeSpan RepeatWindow = TimeSpan.FromSeconds(1);

    /// <summary>The same under MPI, where mpirun's copy may come as another signal and later.</summary>
    internal static readonly TimeSpan MpiRepeatWindow = TimeSpan.FromSeconds(5);

    const PosixSignal Sigusr1 = (PosixSignal)10; // Linux's number; PosixSignal has no name for it
    readonly bool launchedByMpi;

    readonly object gate = new();
    string? first;
    long firstAt;
    bool stopping;
    bool disposed;

    TrainingInterruption(TextWriter messages, bool launchedByMpi)
    {
        this.messages = messages;
        this.launchedByMpi = launchedByMpi;
    }

    public CancellationToken Token => source.Token;

    /// <summary>Handles SIGINT (Ctrl+C) and SIGTERM (and SIGUSR1 under MPI) until disposed.</summary>
    public static TrainingInterruption Listen(TextWriter messages) => Listen(messages, Distributed.MpiLaunch.Detect() is not null);

    internal static TrainingInterruption Listen(TextWriter messages, bool launchedByMpi)
    {
        var interruption = new TrainingInterruption(messages, launchedByMpi);
        PosixSignal[] signals = launchedByMpi && OperatingSystem.IsLinux() ? [PosixSignal.SIGINT, PosixSignal.SIGTERM, Sigusr1] : [PosixSignal.SIGINT, PosixSignal.SIGTERM];
        foreach (var signal in signals)
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
            // A signal queued on the thread pool before Dispose can run after it: training has ended, let the process finish.
            if (disposed) return false;
            if (first is null)
            {
                (first, firstAt) = (name, nowMilliseconds);
                messages.WriteLine($"{name}: finishing this step and writing checkpoint-last (press Ctrl+C again to abort without saving)...");
                source.Cancel();
                return false;
            }
            if (!stopping && name == first && nowMilliseconds - firstAt < (long)RepeatWindow.TotalMilliseconds) return false;
            if (!stopping && launchedByMpi && nowMilliseconds - firstAt < (long)MpiRepeatWindow.TotalMilliseconds) return false;
            stopping = true;
            messages.WriteLine($"{name} again: aborting without saving.");
            return true;
        }
    }

    public void Dispose()
    {
        lock (gate) disposed = true;
        foreach (var r in registrations) r.Dispose();
        source.Dispose();
    }
}
