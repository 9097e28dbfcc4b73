using static TorchSharp.torch;

namespace LoraDsl.Checkpoints;

/// <summary>Tensors from one or more safetensors files (a single file or the shards of an index).</summary>
internal sealed class SafetensorsTensorSource : CheckpointTensorSource
{
    readonly Dictionary<string, SafetensorsFile> owner = new(StringComparer.Ordinal);

    public SafetensorsTensorSource(IEnumerable<SafetensorsFile> files)
    {
        foreach (var file in files)
            foreach (var name in file.Names)
                if (!owner.TryAdd(name, file))
                    throw new CheckpointFormatException($"Tensor '{name}' is stored twice: in '{owner[name].Path}' and in '{file.Path}'.");
    }

    public override IReadOnlyCollection<string> Names => owner.Keys;

    public override bool Contains(string name) => owner.ContainsKey(name);

    public override long[] Shape(string name) => File(name).Info(name).Shape;

    public override ScalarType Dtype(string name) => File(name).Info(name).Dtype;

    public override string FileOf(string name) => File(name).Path;

    public override Tensor Read(string name) => File(name).Read(name);

    SafetensorsFile File(string name) =>
        owner.TryGetValue(name, out var file) ? file : throw new CheckpointFormatException($"Tensor '{name}' is in none of the checkpoint's files.");
}
