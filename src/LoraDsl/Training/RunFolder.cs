namespace LoraDsl.Training;

/// <summary>The folder a run writes into: its adapter, checkpoints, metrics, plot and run.json.</summary>
public static class RunFolder
{
    public const string AdapterName = "adapter";

    /// <summary>Creates the folder (if needed) and returns its full path.</summary>
    public static string Prepare(string outputDirectory, string? resumeFrom)
    {
        var output = Path.GetFullPath(outputDirectory);
        Directory.CreateDirectory(output);
        return output;
    }
}
