using System.Text;
using LoraDsl.Training;

namespace LoraDsl.Gguf;

/// <summary>
/// Writes a GGUF v3 file (ggml-org/ggml docs/gguf.md): header, metadata key/values in the order added,
/// tensor infos, then each tensor's data aligned to <see cref="Alignment"/>. Tensor data is produced one
/// tensor at a time while writing, so a large model is never held twice in memory.
/// </summary>
internal sealed class GgufWriter
{
    const uint Magic = 0x46554747; // "GGUF" read as a little-endian uint32
    const uint Version = 3;

    readonly List<(string Key, Action<BinaryWriter> Write)> metadata = [];
    readonly HashSet<string> keys = new(StringComparer.Ordinal);
    readonly List<Tensor> tensors = [];
    readonly HashSet<string> tensorNames = new(StringComparer.Ordinal);

    sealed record Tensor(string Name, long[] Shape, GgufTensorType Type, Func<float[]> Data)
    {
        public long Count => Shape.Aggregate(1L, (a, b) => a * b);
        public long Bytes => GgufTensorEncoder.ByteCount(Type, Count);
    }

    /// <summary>Data alignment; written as <c>general.alignment</c> (llama.cpp's default is 32).</summary>
    public GgufWriter(uint alignment = 32)
    {
        if (alignment == 0 || alignment % 8 != 0) throw new ArgumentException($"GGUF alignment must be a positive multiple of 8, not {alignment}.", nameof(alignment));
        Alignment = alignment;
        Add("general.alignment", alignment);
    }

    public uint Alignment { get; }

    /// <summary>Names of the tensors added so far, in file order.</summary>
    public IReadOnlyList<string> TensorNames => [.. tensors.Select(t => t.Name)];

    /// <summary>Whether a metadata key was added.</summary>
    public bool Has(string key) => keys.Contains(key);

    public void Add(string key, string value) => Put(key, GgufValueType.String, w => WriteString(w, value));
    public void Add(string key, uint value) => Put(key, GgufValueType.UInt32, w => w.Write(value));
    public void Add(string key, int value) => Put(key, GgufValueType.Int32, w => w.Write(value));
    public void Add(string key, ulong value) => Put(key, GgufValueType.UInt64, w => w.Write(value));
    public void Add(string key, float value) => Put(key, GgufValueType.Float32, w => w.Write(value));
    public void Add(string key, double value) => Put(key, GgufValueType.Float64, w => w.Write(value));
    public void Add(string key, bool value) => Put(key, GgufValueType.Bool, w => w.Write((byte)(value ? 1 : 0)));
    public void Add(string key, IReadOnlyList<string> values) => PutArray(key, GgufValueType.String, values, WriteString);
    public void Add(string key, IReadOnlyList<int> values) => PutArray(key, GgufValueType.Int32, values, (w, v) => w.Write(v));
    public void Add(string key, IReadOnlyList<float> values) => PutArray(key, GgufValueType.Float32, values, (w, v) => w.Write(v));

    /// <summary>
    /// Adds a tensor. <paramref name="shape"/> is in PyTorch order (outermost first, e.g. [out, in]); the file
    /// stores ggml's order (innermost first). <paramref name="data"/> returns the values row-major as fp32 and is
    /// called once, while writing.
    /// </summary>
    public void AddTensor(string name, IReadOnlyList<long> shape, GgufTensorType type, Func<float[]> data)
    {
        if (!tensorNames.Add(name)) throw new ArgumentException($"GGUF tensor '{name}' is added twice.", nameof(name));
        if (Encoding.UTF8.GetByteCount(name) > 63) throw new ArgumentException($"GGUF tensor name '{name}' is longer than ggml's 63 bytes.", nameof(name));
        if (shape.Count is 0 or > 4) throw new ArgumentException($"GGUF tensor '{name}' has {shape.Count} dimensions; ggml holds 1 to 4.", nameof(name));
        if (!GgufTensorEncoder.Fits(type, shape[^1]))
            throw new ArgumentException($"GGUF tensor '{name}': rows of {shape[^1]} values are not whole {type} blocks of {GgufTensorEncoder.Q8BlockSize}.", nameof(type));
        tensors.Add(new Tensor(name, [.. shape], type, data));
    }

    /// <summary>Writes the file through a temp file beside <paramref name="path"/>, renamed into place at the end.</summary>
    public void Write(string path) => AtomicFile.Write(path, temp =>
    {
        using var stream = new FileStream(temp, FileMode.CreateNew, FileAccess.Write, FileShare.None, 1 << 20);
        using var w = new BinaryWriter(stream, Encoding.UTF8, leaveOpen: true);
        w.Write(Magic);
        w.Write(Version);
        w.Write((ulong)tensors.Count);
        w.Write((ulong)metadata.Count);
        foreach (var (key, write) in metadata)
        {
            WriteString(w, key);
            write(w);
        }
        ulong offset = 0;
        foreach (var t in tensors)
        {
            WriteString(w, t.Name);
            w.Write((uint)t.Shape.Length);
            for (var d = t.Shape.Length - 1; d >= 0; d--) w.Write((ulong)t.Shape[d]);
            w.Write((uint)t.Type);
            w.Write(offset);
            offset = AlignUp(offset + (ulong)t.Bytes);
        }
        Pad(w);
        foreach (var t in tensors)
        {
            var values = t.Data();
            if (values.LongLength != t.Count)
                throw new InvalidOperationException($"GGUF tensor '{t.Name}': {values.LongLength} values given for shape [{string.Join(", ", t.Shape)}].");
            w.Write(GgufTensorEncoder.Encode(t.Type, values));
            Pad(w);
        }
    });

    ulong AlignUp(ulong n) => (n + Alignment - 1) / Alignment * Alignment;

    void Pad(BinaryWriter w)
    {
        w.Flush();
        var position = (ulong)w.BaseStream.Position;
        for (var i = position; i < AlignUp(position); i++) w.Write((byte)0);
    }

    void Put(string key, GgufValueType type, Action<BinaryWriter> write)
    {
        if (!keys.Add(key)) throw new ArgumentException($"GGUF metadata key '{key}' is added twice.", nameof(key));
        metadata.Add((key, w =>
        {
            w.Write((uint)type);
            write(w);
        }));
    }

    void PutArray<T>(string key, GgufValueType elementType, IReadOnlyList<T> values, Action<BinaryWriter, T> writeOne)
    {
        var copy = values.ToArray();
        Put(key, GgufValueType.Array, w =>
        {
            w.Write((uint)elementType);
            w.Write((ulong)copy.Length);
            foreach (var v in copy) writeOne(w, v);
        });
    }

    static void WriteString(BinaryWriter w, string value)
    {
        var bytes = Encoding.UTF8.GetBytes(value);
        w.Write((ulong)bytes.Length);
        w.Write(bytes);
    }
}
