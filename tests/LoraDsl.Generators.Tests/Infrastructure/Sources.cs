namespace LoraDsl.Generators.Tests.Infrastructure;

/// <summary>Source files of the repository, read for tests.</summary>
public static class Sources
{
    public static string RepositoryRoot { get; } = FindRoot();

    public static (string Path, string Source) BuiltInArchitecture(string name)
    {
        var path = System.IO.Path.Combine(RepositoryRoot, "src", "LoraDsl", "Architectures", name + ".cs");
        return (path, File.ReadAllText(path));
    }

    private static string FindRoot()
    {
        var directory = new DirectoryInfo(AppContext.BaseDirectory);
        while (directory is not null && !File.Exists(System.IO.Path.Combine(directory.FullName, "LoraDsl.sln"))) directory = directory.Parent;
        return directory?.FullName ?? throw new InvalidOperationException("LoraDsl.sln not found above " + AppContext.BaseDirectory);
    }
}
