using System.Collections.Concurrent;

namespace LoraDsl.Outputs;

/// <summary>
/// The lock a training run holds on its folder while its process lives (an exclusive open of
/// <c>.loradsl-run.lock</c>, which .NET takes as an flock on Unix), so a second run started into the same
/// folder at the same moment, or while the first is still loading, is refused instead of mixing files.
/// </summary>
internal static class RunFolderLock
{
    public const string FileName = ".loradsl-run.lock";

    static readonly ConcurrentDictionary<string, FileStream> Held = new(StringComparer.Ordinal);

    /// <summary>Takes the lock of <paramref name="folder"/> (an earlier lock of this process on it is given up first).</summary>
    public static void Acquire(string folder)
    {
        Release(folder);
        var path = Path.Combine(folder, FileName);
        try
        {
            Held[folder] = new FileStream(path, FileMode.OpenOrCreate, FileAccess.ReadWrite, FileShare.None);
        }
        catch (IOException e) when (File.Exists(path))
        {
            throw new OutputFolderException(folder, $"is in use by another LoraDsl run that is still going (it holds {FileName}: {e.Message}). " +
                "Wait for that run to end, or choose another output folder.");
        }
    }

    /// <summary>Gives up this process's lock on <paramref name="folder"/>, if it holds one.</summary>
    public static void Release(string folder)
    {
        if (Held.TryRemove(folder, out var stream)) stream.Dispose();
    }
}
