namespace LoraDsl.Tests.Adapters;

/// <summary>A fresh temporary folder, deleted on dispose.</summary>
sealed class AdapterFolder : IDisposable
{
    public string Path { get; } = System.IO.Path.Combine(System.IO.Path.GetTempPath(), $"loradsl-adapter-{Guid.NewGuid():N}");

    public AdapterFolder() => Directory.CreateDirectory(Path);

    public string File(string name) => System.IO.Path.Combine(Path, name);

    public void Dispose()
    {
        if (Directory.Exists(Path)) Directory.Delete(Path, recursive: true);
    }
}
