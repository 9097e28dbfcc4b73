using TorchSharp;
using static TorchSharp.torch;

namespace LoraDsl.Native;

/// <summary>
/// The one way runtime code reads tensor values into .NET: values are copied to the CPU first, so a read
/// works the same for a tensor on a GPU (TorchSharp's <c>data&lt;T&gt;()</c> throws there). Raw spans of
/// tensor memory are handed out only for CPU tensors. A test checks that no other file reads tensor memory.
/// </summary>
internal static class HostMemory
{
    static readonly AsyncLocal<Action<Tensor>?> ReadObserver = new();

    /// <summary>
    /// Calls <paramref name="observer"/> with each tensor read through <see cref="Item{T}"/> or <see cref="ToArray{T}"/>
    /// on this thread and the tasks it starts, until disposed: tests use it to see that a path's reads come through here.
    /// </summary>
    public static IDisposable ObserveReads(Action<Tensor> observer)
    {
        var before = ReadObserver.Value;
        ReadObserver.Value = observer;
        return new ReadObservation(before);
    }

    /// <summary>The single value of <paramref name="tensor"/> (any device).</summary>
    public static T Item<T>(Tensor tensor) where T : unmanaged
    {
        if (tensor.numel() != 1) throw new ArgumentException($"A tensor of shape [{string.Join(", ", tensor.shape)}] holds {tensor.numel()} values, not one.");
        ReadObserver.Value?.Invoke(tensor);
        using var host = OnCpu(tensor);
        return host.item<T>();
    }

    /// <summary>All values of <paramref name="tensor"/> (any device) in row-major order.</summary>
    public static T[] ToArray<T>(Tensor tensor) where T : unmanaged
    {
        ReadObserver.Value?.Invoke(tensor);
        using var host = OnCpu(tensor);
        using var dense = host.contiguous();
        return dense.data<T>().ToArray();
    }

    /// <summary>The bytes of a contiguous CPU tensor, to read or fill in place.</summary>
    public static Span<byte> Bytes(Tensor tensor)
    {
        if (tensor.device_type != DeviceType.CPU)
            throw new InvalidOperationException($"Tensor memory on {tensor.device} is not host memory: copy the tensor to the CPU first.");
        if (!tensor.is_contiguous()) throw new InvalidOperationException("Tensor memory is read in place only for contiguous tensors.");
        return tensor.bytes;
    }

    /// <summary>A CPU handle to the same values: an alias on the CPU, a copy from any other device.</summary>
    static Tensor OnCpu(Tensor tensor) => tensor.device_type == DeviceType.CPU ? tensor.alias() : tensor.cpu();

    sealed class ReadObservation(Action<Tensor>? before) : IDisposable
    {
        public void Dispose() => ReadObserver.Value = before;
    }
}
