namespace Benchmark;

/// <summary>Resident memory of this process from /proc/self/status (Linux).</summary>
public static class ProcessMemory
{
    public static double PeakRssMb() => Read("VmHWM:");

    public static double CurrentRssMb() => Read("VmRSS:");

    /// <summary>MemAvailable of the machine (MB), what a new process can take without swapping.</summary>
    public static double AvailableMb() => Read("MemAvailable:", "/proc/meminfo");

    /// <summary>Resets the peak (VmHWM) to the current RSS, so a later peak is the step's, not the load's (Linux ≥ 4.0; false if refused).</summary>
    public static bool ResetPeak()
    {
        try
        {
            File.WriteAllText("/proc/self/clear_refs", "5");
            return true;
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            return false;
        }
    }

    static double Read(string field, string file = "/proc/self/status")
    {
        foreach (var line in File.ReadLines(file))
            if (line.StartsWith(field, StringComparison.Ordinal))
                return double.Parse(line[field.Length..].Trim().Split(' ')[0], System.Globalization.CultureInfo.InvariantCulture) / 1024.0;
        return double.NaN;
    }
}
