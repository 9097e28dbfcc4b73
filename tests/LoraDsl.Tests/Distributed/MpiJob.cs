using System.Diagnostics;

namespace LoraDsl.Tests.Distributed;

/// <summary>Starts the llama-instruct example's CLI as one plain process or as an mpirun job, with output captured.</summary>
sealed class MpiJob : IDisposable
{
    readonly Process process;
    readonly Task<string> stdout, stderr;

    MpiJob(ProcessStartInfo start)
    {
        start.RedirectStandardOutput = start.RedirectStandardError = true;
        start.UseShellExecute = false;
        // One libtorch thread per process: the same arithmetic however many processes share the cores.
        start.Environment["OMP_NUM_THREADS"] = "1";
        start.Environment["MKL_NUM_THREADS"] = "1";
        process = Process.Start(start)!;
        stdout = process.StandardOutput.ReadToEndAsync();
        stderr = process.StandardError.ReadToEndAsync();
    }

    /// <summary>mpirun on PATH, or null.</summary>
    public static string? Mpirun { get; } = (Environment.GetEnvironmentVariable("PATH") ?? "")
        .Split(Path.PathSeparator, StringSplitOptions.RemoveEmptyEntries)
        .Select(d => Path.Combine(d, "mpirun"))
        .FirstOrDefault(File.Exists);

    static string Program => Path.Combine(AppContext.BaseDirectory, "LlamaInstruct.dll");

    public int Id => process.Id;

    public bool HasExited => process.HasExited;

    /// <summary>One process, no MPI: <c>dotnet LlamaInstruct.dll ARGS</c>.</summary>
    public static MpiJob Single(IEnumerable<string> args)
    {
        var start = new ProcessStartInfo(Environment.ProcessPath!);
        foreach (var a in args.Prepend(Program)) start.ArgumentList.Add(a);
        return new MpiJob(start);
    }

    /// <summary><c>mpirun -np <paramref name="processes"/> dotnet LlamaInstruct.dll ARGS</c>.</summary>
    public static MpiJob Launch(int processes, IReadOnlyList<string> args) => Start([(processes, args)]);

    /// <summary>
    /// One process per entry of <paramref name="perRank"/> with its own arguments (mpirun's colon syntax), so a test can
    /// tell process 1 another output folder.
    /// </summary>
    public static MpiJob LaunchPerRank(params IReadOnlyList<string>[] perRank) => Start([.. perRank.Select(a => (1, a))]);

    static MpiJob Start(IReadOnlyList<(int Processes, IReadOnlyList<string> Args)> contexts)
    {
        var start = new ProcessStartInfo(Mpirun ?? throw new InvalidOperationException("mpirun is not installed."));
        foreach (var a in new[] { "--allow-run-as-root", "--oversubscribe", "--bind-to", "none", "-x", "OMP_NUM_THREADS", "-x", "MKL_NUM_THREADS" })
            start.ArgumentList.Add(a);
        for (var i = 0; i < contexts.Count; i++)
        {
            if (i > 0) start.ArgumentList.Add(":");
            foreach (var a in new[] { "-np", $"{contexts[i].Processes}", Environment.ProcessPath!, Program }.Concat(contexts[i].Args)) start.ArgumentList.Add(a);
        }
        return new MpiJob(start);
    }

    /// <summary>Waits for the end; returns exit code, stdout and stderr.</summary>
    public async Task<(int Exit, string Stdout, string Stderr)> EndAsync(TimeSpan limit)
    {
        using var cancel = new CancellationTokenSource(limit);
        try
        {
            await process.WaitForExitAsync(cancel.Token);
        }
        catch (OperationCanceledException)
        {
            process.Kill(entireProcessTree: true);
            throw new TimeoutException($"the job did not end within {limit}: {await stderr}");
        }
        return (process.ExitCode, await stdout, await stderr);
    }

    /// <summary>The job's processes (children of mpirun) whose MPI rank is <paramref name="rank"/>.</summary>
    public IEnumerable<int> RankProcesses(int rank) =>
        Descendants(process.Id).Where(pid => EnvironmentOf(pid).Contains($"OMPI_COMM_WORLD_RANK={rank}"));

    static IEnumerable<int> Descendants(int parent)
    {
        foreach (var dir in Directory.EnumerateDirectories("/proc"))
        {
            if (!int.TryParse(Path.GetFileName(dir), out var pid)) continue;
            string stat;
            try { stat = File.ReadAllText(Path.Combine(dir, "stat")); } catch (IOException) { continue; } catch (UnauthorizedAccessException) { continue; }
            var fields = stat[(stat.LastIndexOf(')') + 2)..].Split(' ');
            if (int.Parse(fields[1]) != parent) continue;
            yield return pid;
            foreach (var child in Descendants(pid)) yield return child;
        }
    }

    static string[] EnvironmentOf(int pid)
    {
        try { return File.ReadAllText($"/proc/{pid}/environ").Split('\0'); }
        catch (IOException) { return []; }
        catch (UnauthorizedAccessException) { return []; }
    }

    public void Dispose()
    {
        if (!process.HasExited) process.Kill(entireProcessTree: true);
        process.Dispose();
    }
}
