using LoraDsl.Interop.MiniLm;

namespace LoraDsl.Tests.Interop;

/// <summary>Imports all-MiniLM-L6-v2 once per test class into a private cache root, deleted afterwards.</summary>
public sealed class MiniLmFixture : IDisposable
{
    public MiniLmFixture()
    {
        CacheRoot = Path.Combine(Path.GetTempPath(), $"loradsl-minilm-{Guid.NewGuid():N}");
        Folder = MiniLmImporter.EnsureImported(CacheRoot);
    }

    public string CacheRoot { get; }

    public string Folder { get; }

    public void Dispose()
    {
        if (Directory.Exists(CacheRoot)) Directory.Delete(CacheRoot, recursive: true);
    }
}
