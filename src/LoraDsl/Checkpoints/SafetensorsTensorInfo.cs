using static TorchSharp.torch;

namespace LoraDsl.Checkpoints;

/// <summary>One tensor's header entry in a safetensors file; offsets are absolute file positions.</summary>
internal sealed record SafetensorsTensorInfo(string Name, string DtypeName, ScalarType Dtype, long[] Shape, long Start, long End)
{
    public long ByteLength => End - Start;
}
