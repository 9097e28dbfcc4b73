using static TorchSharp.torch;

namespace LoraDsl.Checkpoints;

/// <summary>The safetensors dtype names and their torch types.</summary>
internal static class SafetensorsDtype
{
    static readonly (string Name, ScalarType Type)[] Table =
    [
        ("F64", ScalarType.Float64), ("F32", ScalarType.Float32), ("F16", ScalarType.Float16),
        ("BF16", ScalarType.BFloat16), ("I64", ScalarType.Int64), ("I32", ScalarType.Int32),
        ("I16", ScalarType.Int16), ("I8", ScalarType.Int8), ("U8", ScalarType.Byte), ("BOOL", ScalarType.Bool),
    ];

    /// <summary>The safetensors name of <paramref name="type"/>; <paramref name="tensor"/> names the tensor in the error.</summary>
    public static string Name(ScalarType type, string tensor)
    {
        foreach (var (name, t) in Table) if (t == type) return name;
        throw new CheckpointFormatException($"Tensor '{tensor}' has dtype {type}, which safetensors files here do not support.");
    }

    /// <summary>The torch type for a safetensors dtype name, or null when unknown.</summary>
    public static ScalarType? TryParse(string name)
    {
        foreach (var (n, t) in Table) if (n == name) return t;
        return null;
    }
}
