using System.Collections;
using TorchSharp.PyBridge;
using static TorchSharp.torch;

namespace LoraDsl.Checkpoints;

/// <summary>Tensors of a PyTorch pickle (<c>pytorch_model.bin</c>), read whole through TorchSharp.PyBridge.</summary>
internal sealed class PickledTensorSource : CheckpointTensorSource
{
    readonly Dictionary<string, (Tensor Tensor, string File)> tensors = new(StringComparer.Ordinal);

    public PickledTensorSource(IEnumerable<string> files)
    {
        try
        {
            foreach (var file in files)
            {
                IDictionary dictionary;
                try
                {
                    using var stream = System.IO.File.OpenRead(file);
                    dictionary = PyTorchUnpickler.UnpickleStateDict(stream);
                }
                catch (Exception e) when (e is not CheckpointFormatException)
                {
                    throw new CheckpointFormatException($"'{file}' could not be read as a PyTorch state dict: {e.Message}", e);
                }
                foreach (DictionaryEntry entry in dictionary)
                {
                    var name = entry.Key?.ToString() ?? "";
                    if (entry.Value is not Tensor tensor)
                        throw new CheckpointFormatException($"'{file}': entry '{name}' is not a tensor.");
                    if (!tensors.TryAdd(name, (tensor, file)))
                        throw new CheckpointFormatException($"Tensor '{name}' is stored twice: in '{tensors[name].File}' and in '{file}'.");
                }
            }
        }
        catch
        {
            Dispose();
            throw;
        }
    }

    public override IReadOnlyCollection<string> Names => tensors.Keys;

    public override bool Contains(string name) => tensors.ContainsKey(name);

    public override long[] Shape(string name) => Entry(name).Tensor.shape;

    public override ScalarType Dtype(string name) => Entry(name).Tensor.dtype;

    public override string FileOf(string name) => Entry(name).File;

    public override Tensor Read(string name) => Entry(name).Tensor.alias();

    (Tensor Tensor, string File) Entry(string name) =>
        tensors.TryGetValue(name, out var e) ? e : throw new CheckpointFormatException($"Tensor '{name}' is in none of the checkpoint's files.");

    public override void Dispose()
    {
        foreach (var (t, _) in tensors.Values) t.Dispose();
        tensors.Clear();
    }
}
