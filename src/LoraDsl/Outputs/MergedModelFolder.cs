using LoraDsl.Training;

namespace LoraDsl.Outputs;

/// <summary>
/// The output folder of <c>merge</c>: it must be new or empty; with overwrite it may also be a merged
/// model LoraDsl wrote before (its marker says so), which is then replaced whole. Nothing else is ever deleted.
/// </summary>
internal static class MergedModelFolder
{
    /// <summary>
    /// Checks <paramref name="outputDirectory"/>, fills a temp folder beside it with <paramref name="fill"/>
    /// plus the marker, and swaps it in. <paramref name="inputs"/> (base model, adapter) may be neither the
    /// output nor inside it. Returns the full path written.
    /// </summary>
    public static string Write(string outputDirectory, bool overwrite, Action<string> fill, params string[] inputs)
    {
        var output = Check(outputDirectory, overwrite, inputs);
        AtomicFile.WriteDirectory(output, temp =>
        {
            fill(temp);
            OutputMarker.Write(temp, OutputKind.MergedModel);
        });
        return output;
    }

    /// <summary>The checks of <see cref="Write"/> alone; returns the full output path.</summary>
    public static string Check(string outputDirectory, bool overwrite, params string[] inputs)
    {
        var output = Path.TrimEndingDirectorySeparator(Path.GetFullPath(outputDirectory));
        if (File.Exists(output)) throw new OutputFolderException(output, "is a file; --output must be a folder.");
        // An earlier merge or quantize killed mid-write left its temp folder (up to the model's size) beside the output.
        AtomicFile.CleanLeftoversBeside(output);
        foreach (var input in inputs.Append(Environment.CurrentDirectory))
        {
            var full = Path.TrimEndingDirectorySeparator(Path.GetFullPath(input));
            if (IsSameOrInside(full, output))
                throw new OutputFolderException(output, $"holds '{full}', which this merge reads or runs in; choose a new folder for --output.");
        }
        if (!OutputMarker.IsNewOrEmpty(output))
        {
            var kind = OutputMarker.Read(output);
            if (kind != OutputKind.MergedModel)
                throw new OutputFolderException(output, $"already holds {Describe(kind)}; merge writes only into a new or empty folder " +
                    "(--overwrite replaces only a merged model LoraDsl wrote). Choose another --output.");
            if (!overwrite)
                throw new OutputFolderException(output, "holds a merged model from an earlier merge; pass --overwrite to replace it, or choose another --output.");
        }
        return output;
    }

    static string Describe(OutputKind? kind) => kind switch
    {
        OutputKind.Run => "a training run",
        _ => "files LoraDsl did not write",
    };

    /// <summary>True when <paramref name="path"/> is <paramref name="folder"/> or lies below it.</summary>
    internal static bool IsSameOrInside(string path, string folder)
    {
        var comparison = OperatingSystem.IsWindows() || OperatingSystem.IsMacOS() ? StringComparison.OrdinalIgnoreCase : StringComparison.Ordinal;
        return path.Equals(folder, comparison) || path.StartsWith(folder + Path.DirectorySeparatorChar, comparison);
    }
}
