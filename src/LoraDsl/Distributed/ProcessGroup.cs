using System.Runtime.InteropServices;
using System.Text;

namespace LoraDsl.Distributed;

/// <summary>
/// The processes training together. Under an MPI launcher (mpirun, srun) it is MPI_COMM_WORLD through Open MPI;
/// otherwise one process, where every collective returns its input and nothing native is loaded.
/// </summary>
public sealed class ProcessGroup
{
    static readonly Lock Gate = new();
    static ProcessGroup? current;
    readonly MpiLibrary? mpi;

    ProcessGroup(MpiLibrary? mpi, int rank, int size, IReadOnlyList<string> hosts)
    {
        this.mpi = mpi;
        Rank = rank;
        Size = size;
        Hosts = hosts;
    }

    /// <summary>One process, no MPI.</summary>
    public static ProcessGroup Single { get; } = new(null, 0, 1, [Environment.MachineName]);

    /// <summary>
    /// This process's group: MPI's world when an MPI launcher started it (MPI is initialised on first use and finalised
    /// at exit), else <see cref="Single"/>. <c>LORADSL_DATA_PARALLEL=0</c> keeps a launched process on its own.
    /// </summary>
    public static ProcessGroup Current
    {
        get
        {
            lock (Gate) return current ??= Join();
        }
    }

    /// <summary>The group <see cref="Current"/> made, or null before anything asked for it (MPI not initialised).</summary>
    internal static ProcessGroup? Joined
    {
        get
        {
            lock (Gate) return current;
        }
    }

    /// <summary>0 for the process that writes files.</summary>
    public int Rank { get; }

    /// <summary>How many processes train together.</summary>
    public int Size { get; }

    /// <summary>The host of each process, by rank.</summary>
    public IReadOnlyList<string> Hosts { get; }

    /// <summary>More than one process, through MPI.</summary>
    public bool IsDistributed => mpi is not null && Size > 1;

    /// <summary>Process 0: the only one that writes the run folder, metrics, checkpoints and the adapter.</summary>
    public bool IsWriter => Rank == 0;

    /// <summary>Refuses a launch the recipe's <c>training.data_parallel</c> and <c>training.processes</c> rule out.</summary>
    public void Require(Training.TrainingOptions training, string recipeName)
    {
        ArgumentNullException.ThrowIfNull(training);
        var launched = $"this run has {Size} process{(Size == 1 ? "" : "es")}";
        if (training.DataParallel == DataParallelMode.Required && Size < 2)
            throw new Recipes.RecipeValidationException($"Recipe '{recipeName}' sets training.data_parallel=required but {launched}: launch it with mpirun -np N (N >= 2) or srun, or --set training.data_parallel=auto.");
        if (training.DataParallel == DataParallelMode.Off && Size > 1)
            throw new Recipes.RecipeValidationException($"Recipe '{recipeName}' sets training.data_parallel=off but {launched}: launch one process, or --set training.data_parallel=auto.");
        if (training.Processes > 0 && training.Processes != Size)
            throw new Recipes.RecipeValidationException($"Recipe '{recipeName}' sets training.processes={training.Processes} (its global batch is batch_size × grad_accum × {training.Processes}) but {launched}: launch {training.Processes}, or --set training.grad_accum to keep the global batch and training.processes={Size}.");
    }

    /// <summary>"process 1 of 2 on host-b", for messages.</summary>
    public string Describe(int rank) => $"process {rank} of {Size} on {Hosts[rank]}";

    /// <summary>Element-wise sum over the processes, in place; floats are summed by MPI (a sum of two values is order-free).</summary>
    public void SumInPlace(Span<float> values, string what) =>
        mpi?.AllreduceInPlace(MemoryMarshal.AsBytes(values), values.Length, mpi.Float, mpi.Sum, what);

    /// <summary>Element-wise sum over the processes, in place.</summary>
    public void SumInPlace(Span<double> values, string what) =>
        mpi?.AllreduceInPlace(MemoryMarshal.AsBytes(values), values.Length, mpi.Double, mpi.Sum, what);

    /// <summary>Element-wise sum over the processes, in place.</summary>
    public void SumInPlace(Span<long> values, string what) =>
        mpi?.AllreduceInPlace(MemoryMarshal.AsBytes(values), values.Length, mpi.Int64, mpi.Sum, what);

    /// <summary>Element-wise maximum over the processes, in place.</summary>
    public void MaxInPlace(Span<long> values, string what) =>
        mpi?.AllreduceInPlace(MemoryMarshal.AsBytes(values), values.Length, mpi.Int64, mpi.Max, what);

    /// <summary>The sum of <paramref name="value"/> over the processes.</summary>
    public long Sum(long value, string what)
    {
        Span<long> one = [value];
        SumInPlace(one, what);
        return one[0];
    }

    /// <summary>True on every process when it is true on any: how all processes agree to stop at the same step.</summary>
    public bool Any(bool flag, string what)
    {
        Span<long> one = [flag ? 1 : 0];
        MaxInPlace(one, what);
        return one[0] != 0;
    }

    /// <summary>Process <paramref name="root"/>'s bytes, on every process.</summary>
    public void Broadcast(Span<byte> bytes, int root, string what) => mpi?.Broadcast(bytes, root, what);

    /// <summary>Waits until every process arrives.</summary>
    public void Barrier() => mpi?.Barrier();

    /// <summary>Ends every process of the job (MPI_Abort) after writing <paramref name="message"/> to stderr; in one process, only the message.</summary>
    public void Abort(string message, int exitCode = 1)
    {
        Console.Error.WriteLine($"error ({Describe(Rank)}): {message}");
        Console.Error.Flush();
        mpi?.Abort(exitCode);
    }

    static ProcessGroup Join()
    {
        if (Environment.GetEnvironmentVariable("LORADSL_DATA_PARALLEL") == "0" || MpiLaunch.Detect() is not { } variable) return Single;
        var mpi = MpiLibrary.Load(variable);
        mpi.Initialize();
        var rank = mpi.Rank();
        var size = mpi.Size();
        var group = new ProcessGroup(mpi, rank, size, GatherHosts(mpi, rank, size));
        AppDomain.CurrentDomain.ProcessExit += (_, _) => mpi.Shutdown();
        return group;
    }

    // Each process writes its name into its own slot of a zeroed buffer; a sum gathers them all (one allreduce).
    static string[] GatherHosts(MpiLibrary mpi, int rank, int size)
    {
        const int slot = 256;
        var names = new byte[slot * size];
        var own = Encoding.UTF8.GetBytes(mpi.HostName());
        own.AsSpan(0, Math.Min(own.Length, slot - 1)).CopyTo(names.AsSpan(rank * slot));
        var asLongs = MemoryMarshal.Cast<byte, long>(names.AsSpan());
        mpi.AllreduceInPlace(MemoryMarshal.AsBytes(asLongs), asLongs.Length, mpi.Int64, mpi.Sum, "host names");
        return [.. Enumerable.Range(0, size).Select(r => Encoding.UTF8.GetString(names, r * slot, slot).TrimEnd('\0'))];
    }
}
