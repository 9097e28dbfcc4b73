namespace Benchmark;

/// <summary>Resident memory of this process from /proc/self/status (Linux).</summary>
public static class ProcessMemory
{
    public static double PeakRssMb() => Read("VmHWM:");

    public static double CurrentRssMb() => Read("VmRSS:");

    static double Read(string field)
    {
        foreach (var line in File.ReadLines("/proc/self/status"))
            if (line.StartsWith(field, StringComparison.Ordinal))
                return double.Parse(line[field.Length..].Trim().Split(' ')[0], System.Globalization.CultureInfo.InvariantCulture) / 1024.0;
        return double.NaN;
    }
}
