using LoraDsl.Checkpoints;
using static TorchSharp.torch;

namespace LoraDsl.Interop.Onnx;

/// <summary>A constant tensor stored in an ONNX graph (a weight): its name, shape and little-endian data.</summary>
internal sealed class OnnxInitializer(string name, long[] dims, int dataType, byte[] data)
{
    /// <summary>ONNX TensorProto.DataType codes this reader converts.</summary>
    const int Float = 1, Int32 = 6, Int64 = 7, Double = 11;

    public string Name { get; } = name;

    public IReadOnlyList<long> Dims { get; } = dims;

    /// <summary>ONNX <c>TensorProto.data_type</c> (1 = float32, 7 = int64, ...).</summary>
    public int DataType { get; } = dataType;

    /// <summary>The raw little-endian element bytes.</summary>
    public ReadOnlyMemory<byte> Data => data;

    /// <summary>A new CPU tensor holding a copy of the data; <paramref name="source"/> names the file in errors.</summary>
    public Tensor ToTensor(string source)
    {
        var type = DataType switch
        {
            Float => ScalarType.Float32,
            Int32 => ScalarType.Int32,
            Int64 => ScalarType.Int64,
            Double => ScalarType.Float64,
            _ => throw new CheckpointFormatException(
                $"ONNX initializer '{Name}' in '{source}' has data_type {DataType}, which this reader does not convert."),
        };
        var shape = Dims.ToArray();
        var tensor = empty(shape, type);
        var expected = tensor.NumberOfElements * tensor.ElementSize;
        if (expected != Data.Length)
        {
            tensor.Dispose();
            throw new CheckpointFormatException(
                $"ONNX initializer '{Name}' in '{source}' holds {Data.Length} bytes; shape [{string.Join(", ", shape)}] of {type} needs {expected}.");
        }
        data.AsSpan().CopyTo(Native.HostMemory.Bytes(tensor));
        return tensor;
    }
}
