using System.Text;
using System.Text.Json;
using static TorchSharp.torch;

namespace LoraDsl.Checkpoints;

/// <summary>
/// A safetensors file whose header was read and validated on open: every tensor's dtype, shape
/// and byte range is checked against the file before any tensor is made, so bad input becomes a
/// <see cref="CheckpointFormatException"/> instead of a native crash. Tensors are read on demand
/// in large chunks (PyBridge's reader uses a 1 KB buffer).
/// </summary>
internal sealed class SafetensorsFile
{
    const long MaxHeaderBytes = 100L * 1024 * 1024;
    const int ChunkBytes = 16 * 1024 * 1024;
    const long MaxElements = long.MaxValue / 8;

    readonly Dictionary<string, SafetensorsTensorInfo> tensors;

    SafetensorsFile(string path, Dictionary<string, SafetensorsTensorInfo> tensors, IReadOnlyDictionary<string, string> metadata)
    {
        Path = path;
        this.tensors = tensors;
        Metadata = metadata;
    }

    public string Path { get; }

    /// <summary>The <c>__metadata__</c> entries (empty when the file has none).</summary>
    public IReadOnlyDictionary<string, string> Metadata { get; }

    /// <summary>Tensor names in header order.</summary>
    public IReadOnlyCollection<string> Names => tensors.Keys;

    public bool Contains(string name) => tensors.ContainsKey(name);

    public SafetensorsTensorInfo Info(string name) =>
        tensors.TryGetValue(name, out var info) ? info
            : throw new CheckpointFormatException($"Tensor '{name}' is not in '{Path}'.");

    /// <summary>Reads and validates the header of <paramref name="path"/>.</summary>
    public static SafetensorsFile Open(string path)
    {
        if (!File.Exists(path)) throw new CheckpointFormatException($"Safetensors file '{path}' does not exist.");
        using var stream = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.Read, 4096);
        var fileLength = stream.Length;
        if (fileLength < 8)
            throw new CheckpointFormatException($"'{path}' is not a safetensors file: {fileLength} bytes, shorter than the 8-byte header length.");
        Span<byte> lengthBytes = stackalloc byte[8];
        stream.ReadExactly(lengthBytes);
        var headerLength = BitConverter.ToInt64(lengthBytes);
        if (headerLength <= 0 || headerLength > MaxHeaderBytes || 8 + headerLength > fileLength)
            throw new CheckpointFormatException(
                $"'{path}' has a corrupt safetensors header: header length {headerLength} does not fit a file of {fileLength} bytes.");
        var headerBytes = new byte[headerLength];
        stream.ReadExactly(headerBytes);
        var dataStart = 8 + headerLength;

        JsonDocument document;
        try
        {
            document = JsonDocument.Parse(headerBytes);
        }
        catch (JsonException e)
        {
            throw new CheckpointFormatException($"'{path}' has a corrupt safetensors header: the JSON does not parse ({e.Message}).", e);
        }
        using (document)
        try
        {
            if (document.RootElement.ValueKind != JsonValueKind.Object)
                throw new CheckpointFormatException($"'{path}' has a corrupt safetensors header: the JSON is not an object.");
            var metadata = new Dictionary<string, string>(StringComparer.Ordinal);
            var entries = new Dictionary<string, SafetensorsTensorInfo>(StringComparer.Ordinal);
            foreach (var property in document.RootElement.EnumerateObject())
            {
                if (property.Name == "__metadata__")
                {
                    if (property.Value.ValueKind == JsonValueKind.Object)
                        foreach (var m in property.Value.EnumerateObject())
                            metadata[m.Name] = m.Value.ValueKind == JsonValueKind.String ? m.Value.GetString()! : m.Value.GetRawText();
                    continue;
                }
                entries[property.Name] = ParseEntry(path, property.Name, property.Value, dataStart, fileLength);
            }
            return new SafetensorsFile(path, entries, metadata);
        }
        catch (InvalidOperationException e)
        {
            // System.Text.Json's own checks: names or strings that are not UTF-8, a value of the wrong kind.
            throw new CheckpointFormatException($"'{path}' has a corrupt safetensors header: {e.Message}", e);
        }
    }

    static SafetensorsTensorInfo ParseEntry(string path, string name, JsonElement entry, long dataStart, long fileLength)
    {
        string Bad(string why) => $"'{path}': tensor '{name}' has a corrupt header entry: {why}.";
        if (entry.ValueKind != JsonValueKind.Object) throw new CheckpointFormatException(Bad("not an object"));
        if (!entry.TryGetProperty("dtype", out var dtypeElement) || dtypeElement.ValueKind != JsonValueKind.String)
            throw new CheckpointFormatException(Bad("no string 'dtype'"));
        var dtypeName = dtypeElement.GetString()!;
        var dtype = SafetensorsDtype.TryParse(dtypeName)
            ?? throw new CheckpointFormatException($"'{path}': tensor '{name}' has dtype '{dtypeName}', which is not supported.");
        if (!entry.TryGetProperty("shape", out var shapeElement) || shapeElement.ValueKind != JsonValueKind.Array)
            throw new CheckpointFormatException(Bad("no 'shape' array"));
        var shape = new List<long>();
        long elements = 1;
        foreach (var d in shapeElement.EnumerateArray())
        {
            if (d.ValueKind != JsonValueKind.Number || !d.TryGetInt64(out var dim) || dim < 0)
                throw new CheckpointFormatException(Bad($"shape entry {d.GetRawText()} is not a non-negative integer"));
            shape.Add(dim);
            // Bound the product so that elements × 8 bytes cannot overflow a long; no real file is near this.
            if (dim != 0 && elements > MaxElements / dim)
                throw new CheckpointFormatException(Bad($"shape [{string.Join(", ", shapeElement.EnumerateArray().Select(e => e.GetRawText()))}] has more than {MaxElements} elements"));
            elements *= dim;
        }
        if (!entry.TryGetProperty("data_offsets", out var offsets) || offsets.ValueKind != JsonValueKind.Array || offsets.GetArrayLength() != 2)
            throw new CheckpointFormatException(Bad("no 'data_offsets' pair"));
        if (!offsets[0].TryGetInt64(out var begin) || !offsets[1].TryGetInt64(out var end) || begin < 0 || end < begin)
            throw new CheckpointFormatException(Bad($"data_offsets {offsets.GetRawText()} are not an increasing pair"));
        var elementSize = ElementSize(dtype);
        if (end - begin != elements * elementSize)
            throw new CheckpointFormatException(
                Bad($"data_offsets span {end - begin} bytes but shape [{string.Join(", ", shape)}] of {dtypeName} needs {elements * elementSize}"));
        if (end > fileLength - dataStart)
            throw new CheckpointFormatException(
                $"'{path}' is truncated: tensor '{name}' ends at byte {dataStart + end} but the file has {fileLength} bytes.");
        return new SafetensorsTensorInfo(name, dtypeName, dtype, shape.ToArray(), dataStart + begin, dataStart + end);
    }

    static long ElementSize(ScalarType type) => type switch
    {
        ScalarType.Float64 or ScalarType.Int64 => 8,
        ScalarType.Float32 or ScalarType.Int32 => 4,
        ScalarType.Float16 or ScalarType.BFloat16 or ScalarType.Int16 => 2,
        _ => 1,
    };

    /// <summary>Reads one tensor as stored (dtype and shape of the file), on the CPU.</summary>
    public Tensor Read(string name)
    {
        var info = Info(name);
        using var stream = new FileStream(Path, FileMode.Open, FileAccess.Read, FileShare.Read, 1, FileOptions.SequentialScan);
        return Read(stream, info);
    }

    /// <summary>Reads every tensor; the caller owns the returned tensors.</summary>
    public Dictionary<string, Tensor> ReadAll()
    {
        var result = new Dictionary<string, Tensor>(StringComparer.Ordinal);
        using var stream = new FileStream(Path, FileMode.Open, FileAccess.Read, FileShare.Read, 1, FileOptions.SequentialScan);
        try
        {
            foreach (var info in tensors.Values.OrderBy(i => i.Start)) result[info.Name] = Read(stream, info);
        }
        catch
        {
            foreach (var t in result.Values) t.Dispose();
            throw;
        }
        return result;
    }

    Tensor Read(FileStream stream, SafetensorsTensorInfo info)
    {
        if (info.ByteLength > int.MaxValue)
            throw new CheckpointFormatException($"'{Path}': tensor '{info.Name}' has {info.ByteLength} bytes; tensors over 2 GiB are not supported.");
        var tensor = empty(info.Shape, info.Dtype);
        try
        {
            if (info.ByteLength == 0) return tensor;
            stream.Position = info.Start;
            var target = Native.HostMemory.Bytes(tensor);
            var done = 0;
            while (done < target.Length)
            {
                var chunk = target.Slice(done, Math.Min(ChunkBytes, target.Length - done));
                var read = stream.Read(chunk);
                if (read == 0)
                    throw new CheckpointFormatException($"'{Path}' is truncated: tensor '{info.Name}' could not be read completely.");
                done += read;
            }
            return tensor;
        }
        catch
        {
            tensor.Dispose();
            throw;
        }
    }
}
