using System.Runtime.InteropServices;
using System.Text;

namespace LoraDsl.Distributed;

/// <summary>
/// The MPI C functions the trainer calls, bound at run time from Open MPI's libmpi (never loaded by a plain process).
/// Open MPI's handles (MPI_COMM_WORLD, MPI_FLOAT, MPI_SUM, ...) are addresses of exported globals such as
/// <c>ompi_mpi_comm_world</c>; MPICH's integer handles are not supported, and a libmpi without those globals is refused by name.
/// </summary>
internal sealed class MpiLibrary
{
    internal static readonly string[] Candidates = ["libmpi.so.40", "libmpi.so", "libmpi.so.12"];
    const int RtldNow = 0x2, RtldGlobal = 0x100;
    const int ThreadSerialized = 2;
    const int MaxProcessorName = 256; // Open MPI's MPI_MAX_PROCESSOR_NAME
    static readonly IntPtr InPlace = 1; // Open MPI's MPI_IN_PLACE

    [UnmanagedFunctionPointer(CallingConvention.Cdecl)] delegate int InitThread(IntPtr argc, IntPtr argv, int required, out int provided);
    [UnmanagedFunctionPointer(CallingConvention.Cdecl)] delegate int Flag(out int flag);
    [UnmanagedFunctionPointer(CallingConvention.Cdecl)] delegate int NoArguments();
    [UnmanagedFunctionPointer(CallingConvention.Cdecl)] delegate int CommInt(IntPtr comm, out int value);
    [UnmanagedFunctionPointer(CallingConvention.Cdecl)] delegate int AllreduceCall(IntPtr send, ref byte receive, int count, IntPtr type, IntPtr op, IntPtr comm);
    [UnmanagedFunctionPointer(CallingConvention.Cdecl)] delegate int BcastCall(ref byte buffer, int count, IntPtr type, int root, IntPtr comm);
    [UnmanagedFunctionPointer(CallingConvention.Cdecl)] delegate int CommCall(IntPtr comm);
    [UnmanagedFunctionPointer(CallingConvention.Cdecl)] delegate int AbortCall(IntPtr comm, int code);
    [UnmanagedFunctionPointer(CallingConvention.Cdecl)] delegate int ProcessorName(byte[] name, out int length);
    [UnmanagedFunctionPointer(CallingConvention.Cdecl)] delegate int ErrorString(int code, byte[] text, out int length);

    [DllImport("libc", EntryPoint = "dlopen")] static extern IntPtr DlOpen(string file, int mode);
    [DllImport("libc", EntryPoint = "setenv")] static extern int SetEnv(string name, string value, int overwrite);

    readonly InitThread initThread;
    readonly Flag initialized, finalized;
    readonly NoArguments finalize;
    readonly CommInt commRank, commSize;
    readonly AllreduceCall allreduce;
    readonly BcastCall bcast;
    readonly CommCall barrier;
    readonly AbortCall abort;
    readonly ProcessorName processorName;
    readonly ErrorString errorString;

    public IntPtr CommWorld { get; }
    public IntPtr Float { get; }
    public IntPtr Double { get; }
    public IntPtr Int64 { get; }
    public IntPtr Byte { get; }
    public IntPtr Sum { get; }
    public IntPtr Max { get; }
    public string Path { get; }

    MpiLibrary(IntPtr handle, string path)
    {
        Path = path;
        if (!NativeLibrary.TryGetExport(handle, "ompi_mpi_comm_world", out var world))
            throw new MpiException($"{path} is not Open MPI (no ompi_mpi_comm_world): LoraDsl binds Open MPI's handle ABI only; MPICH, Intel MPI and MVAPICH are not supported. Install Open MPI (Debian: openmpi-bin) and launch with its mpirun.");
        CommWorld = world;
        Float = Global(handle, "ompi_mpi_float");
        Double = Global(handle, "ompi_mpi_double");
        Int64 = Global(handle, "ompi_mpi_int64_t");
        Byte = Global(handle, "ompi_mpi_byte");
        Sum = Global(handle, "ompi_mpi_op_sum");
        Max = Global(handle, "ompi_mpi_op_max");
        initThread = Function<InitThread>(handle, "MPI_Init_thread");
        initialized = Function<Flag>(handle, "MPI_Initialized");
        finalized = Function<Flag>(handle, "MPI_Finalized");
        finalize = Function<NoArguments>(handle, "MPI_Finalize");
        commRank = Function<CommInt>(handle, "MPI_Comm_rank");
        commSize = Function<CommInt>(handle, "MPI_Comm_size");
        allreduce = Function<AllreduceCall>(handle, "MPI_Allreduce");
        bcast = Function<BcastCall>(handle, "MPI_Bcast");
        barrier = Function<CommCall>(handle, "MPI_Barrier");
        abort = Function<AbortCall>(handle, "MPI_Abort");
        processorName = Function<ProcessorName>(handle, "MPI_Get_processor_name");
        errorString = Function<ErrorString>(handle, "MPI_Error_string");
    }

    /// <summary>
    /// Loads libmpi with RTLD_GLOBAL (Open MPI's plugins resolve their symbols against it, as mpi4py does), from
    /// <c>LORADSL_LIBMPI</c> when set, else the usual sonames.
    /// </summary>
    public static MpiLibrary Load(string launchVariable)
    {
        var explicitPath = Environment.GetEnvironmentVariable("LORADSL_LIBMPI");
        string[] names = string.IsNullOrEmpty(explicitPath) ? Candidates : [explicitPath];
        foreach (var name in names)
        {
            var handle = DlOpen(name, RtldNow | RtldGlobal);
            if (handle != IntPtr.Zero) return new MpiLibrary(handle, name);
        }
        throw new MpiException($"This process was launched by MPI ({launchVariable} is set) but no MPI library could be loaded (tried {string.Join(", ", names)}): install Open MPI (Debian: openmpi-bin) or set LORADSL_LIBMPI to libmpi's path.");
    }

    /// <summary>MPI_Init_thread once per process (MPI cannot be initialised twice); leaves Open MPI's own fatal-signal handlers off so .NET keeps its own.</summary>
    public void Initialize()
    {
        Check(initialized(out var already), "MPI_Initialized");
        if (already != 0) return;
        // .NET turns SIGSEGV into NullReferenceException; Open MPI would otherwise replace that handler with its backtrace printer.
        SetEnv("OMPI_MCA_opal_signal", "", 0);
        Check(initThread(IntPtr.Zero, IntPtr.Zero, ThreadSerialized, out _), "MPI_Init_thread");
    }

    public void Shutdown()
    {
        if (finalized(out var done) == 0 && done == 0) finalize();
    }

    public int Rank() { Check(commRank(CommWorld, out var rank), "MPI_Comm_rank"); return rank; }

    public int Size() { Check(commSize(CommWorld, out var size), "MPI_Comm_size"); return size; }

    public string HostName()
    {
        var name = new byte[MaxProcessorName + 1];
        Check(processorName(name, out var length), "MPI_Get_processor_name");
        return Encoding.UTF8.GetString(name, 0, length);
    }

    /// <summary>MPI_Allreduce in place over <paramref name="buffer"/>'s bytes, <paramref name="count"/> elements of <paramref name="type"/>.</summary>
    public void AllreduceInPlace(Span<byte> buffer, int count, IntPtr type, IntPtr op, string what)
    {
        if (count == 0) return;
        Check(allreduce(InPlace, ref MemoryMarshal.GetReference(buffer), count, type, op, CommWorld), $"MPI_Allreduce of {what}");
    }

    public void Broadcast(Span<byte> buffer, int root, string what)
    {
        if (buffer.Length == 0) return;
        Check(bcast(ref MemoryMarshal.GetReference(buffer), buffer.Length, Byte, root, CommWorld), $"MPI_Bcast of {what}");
    }

    public void Barrier() => Check(barrier(CommWorld), "MPI_Barrier");

    public void Abort(int code) => abort(CommWorld, code);

    void Check(int code, string call)
    {
        if (code == 0) return;
        var text = new byte[512];
        var message = errorString(code, text, out var length) == 0 ? Encoding.UTF8.GetString(text, 0, length) : $"error {code}";
        throw new MpiException($"{call} failed in {Path}: {message}");
    }

    static IntPtr Global(IntPtr handle, string name) =>
        NativeLibrary.TryGetExport(handle, name, out var address) ? address : throw new MpiException($"Open MPI's libmpi lacks the handle {name}.");

    static T Function<T>(IntPtr handle, string name) where T : Delegate =>
        Marshal.GetDelegateForFunctionPointer<T>(NativeLibrary.TryGetExport(handle, name, out var address) ? address : throw new MpiException($"libmpi lacks {name}."));
}
