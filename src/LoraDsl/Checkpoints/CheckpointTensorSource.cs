using static TorchSharp.torch;

namespace LoraDsl.Checkpoints;

/// <summary>Where the tensors of a checkpoint come from: names, shapes and on-demand reads, across one or more files.</summary>
internal abstract class CheckpointTensorSource : IDisposable
{
    /// <summary>Every tensor name in the checkpoint.</summary>
    public abstract IReadOnlyCollection<string> Names { get; }

    public abstract bool Contains(string name);

    /// <summary>The stored shape, known before reading the data.</summary>
    public abstract long[] Shape(string name);

    /// <summary>The stored dtype, known before reading the data.</summary>
    public abstract ScalarType Dtype(string name);

    /// <summary>The file holding <paramref name="name"/> (for error messages).</summary>
    public abstract string FileOf(string name);

    /// <summary>Reads one tensor as stored; the caller owns it.</summary>
    public abstract Tensor Read(string name);

    public virtual void Dispose() { }
}
