namespace LoraDsl.Generators.Tests.Infrastructure;

/// <summary>
/// Compares generated text with Snapshots/{name}.verified.cs. On a mismatch it writes
/// {name}.received.cs beside it; LORADSL_UPDATE_SNAPSHOTS=1 accepts the new text instead.
/// </summary>
public static class Snapshot
{
    public static void Match(string name, string actual)
    {
        var folder = Path.Combine(Sources.RepositoryRoot, "tests", "LoraDsl.Generators.Tests", "Snapshots");
        var verified = Path.Combine(folder, name + ".verified.cs");
        var received = Path.Combine(folder, name + ".received.cs");
        // The generator's version changes with every release; snapshots show where it goes, not which it is.
        actual = actual.Replace("\r\n", "\n").Replace($"\"{LoraDsl.Generators.Emitting.RecipeEmitter.GeneratorVersion}\"", "\"<generator version>\"");

        if (Environment.GetEnvironmentVariable("LORADSL_UPDATE_SNAPSHOTS") == "1")
        {
            WriteAtomically(verified, actual);
            File.Delete(received);
            return;
        }
        var expected = File.Exists(verified) ? File.ReadAllText(verified).Replace("\r\n", "\n") : null;
        if (expected == actual)
        {
            File.Delete(received);
            return;
        }
        WriteAtomically(received, actual);
        Assert.Fail(expected is null
            ? $"No snapshot {verified}; review {received} and rename it, or run with LORADSL_UPDATE_SNAPSHOTS=1."
            : $"Generated code differs from {verified}; see {received} (LORADSL_UPDATE_SNAPSHOTS=1 accepts it).");
    }

    private static void WriteAtomically(string path, string text)
    {
        Directory.CreateDirectory(Path.GetDirectoryName(path)!);
        var temp = path + ".tmp";
        File.WriteAllText(temp, text);
        File.Move(temp, path, overwrite: true);
    }
}
