using System.Text;
using System.Text.Json;
using static TorchSharp.torch;

namespace LoraDsl.Checkpoints;

/// <summary>
/// Writes the safetensors format (8-byte little-endian header length, JSON header, raw
/// little-endian data). Written to a temp file beside the target, then renamed: a reader never
/// sees half a file, and an older larger file never leaves trailing bytes (PyBridge's writer does).
/// </summary>
internal static class SafetensorsWriter
{
    /// <summary>Writes tensors sorted by name; <paramref name="metadata"/> becomes <c>__metadata__</c>.</summary>
    public static void Write(string path, IReadOnlyDictionary<string, Tensor> tensors, IReadOnlyDictionary<string, string>? metadata = null)
    {
        var names = tensors.Keys.OrderBy(n => n, StringComparer.Ordinal).ToList();
        var contiguous = new List<Tensor>(names.Count);
        // Every handle made here (detach, cpu, contiguous) dies with this scope; the callers' tensors do not.
        using var scope = NewDisposeScope();
        {
            var header = new MemoryStream();
            using (var json = new Utf8JsonWriter(header))
            {
                json.WriteStartObject();
                if (metadata is { Count: > 0 })
                {
                    json.WriteStartObject("__metadata__");
                    foreach (var (key, value) in metadata.OrderBy(kv => kv.Key, StringComparer.Ordinal)) json.WriteString(key, value);
                    json.WriteEndObject();
                }
                long offset = 0;
                foreach (var name in names)
                {
                    var t = tensors[name].detach().cpu().contiguous();
                    contiguous.Add(t);
                    long size = t.NumberOfElements * t.ElementSize;
                    json.WriteStartObject(name);
                    json.WriteString("dtype", SafetensorsDtype.Name(t.dtype, name));
                    json.WriteStartArray("shape");
                    foreach (var d in t.shape) json.WriteNumberValue(d);
                    json.WriteEndArray();
                    json.WriteStartArray("data_offsets");
                    json.WriteNumberValue(offset);
                    json.WriteNumberValue(offset + size);
                    json.WriteEndArray();
                    json.WriteEndObject();
                    offset += size;
                }
                json.WriteEndObject();
            }
            // Pad the header with spaces to an 8-byte boundary, as the reference implementation does.
            while (header.Length % 8 != 0) header.WriteByte((byte)' ');

            var directory = Path.GetDirectoryName(Path.GetFullPath(path))!;
            Directory.CreateDirectory(directory);
            var temp = Path.Combine(directory, $".{Path.GetFileName(path)}.{Guid.NewGuid():N}.tmp");
            try
            {
                using (var file = new FileStream(temp, FileMode.CreateNew, FileAccess.Write, FileShare.None, 1 << 20))
                {
                    Span<byte> length = stackalloc byte[8];
                    BitConverter.TryWriteBytes(length, header.Length);
                    file.Write(length);
                    header.Position = 0;
                    header.CopyTo(file);
                    foreach (var t in contiguous) file.Write(Native.HostMemory.Bytes(t));
                    file.Flush(flushToDisk: true);
                }
                File.Move(temp, path, overwrite: true);
            }
            finally
            {
                if (File.Exists(temp)) File.Delete(temp);
            }
        }
    }
}
