using System.Text.Json.Nodes;
using static TorchSharp.torch;

namespace LoraDsl.Checkpoints;

/// <summary>
/// Writes a state dict as transformers' save_pretrained does: one <c>model.safetensors</c> when it fits in the shard size,
/// else <c>model-0000i-of-0000n.safetensors</c> files filled in name order (a new shard when the next tensor would pass the
/// limit; a tensor larger than the limit gets a shard of its own) and <c>model.safetensors.index.json</c> with every tensor's
/// file and the total size in bytes.
/// </summary>
static class SafetensorsShards
{
    public const string SingleFile = "model.safetensors";

    /// <summary>Writes into <paramref name="folder"/>; returns the files written (index last when sharded).</summary>
    public static IReadOnlyList<string> Write(string folder, IReadOnlyDictionary<string, Tensor> tensors, long maxShardBytes)
    {
        var metadata = new Dictionary<string, string> { ["format"] = "pt" };
        var names = tensors.Keys.OrderBy(n => n, StringComparer.Ordinal).ToList();
        long Bytes(string name) => tensors[name].NumberOfElements * tensors[name].ElementSize;
        var total = names.Sum(Bytes);
        if (total <= maxShardBytes)
        {
            SafetensorsWriter.Write(Path.Combine(folder, SingleFile), tensors, metadata);
            return [SingleFile];
        }

        var shards = new List<List<string>> { new() };
        long current = 0;
        foreach (var name in names)
        {
            var size = Bytes(name);
            if (shards[^1].Count > 0 && current + size > maxShardBytes)
            {
                shards.Add([]);
                current = 0;
            }
            shards[^1].Add(name);
            current += size;
        }
        var files = new List<string>();
        var weightMap = new JsonObject();
        for (var i = 0; i < shards.Count; i++)
        {
            var file = $"model-{i + 1:D5}-of-{shards.Count:D5}.safetensors";
            SafetensorsWriter.Write(Path.Combine(folder, file), shards[i].ToDictionary(n => n, n => tensors[n], StringComparer.Ordinal), metadata);
            foreach (var name in shards[i]) weightMap[name] = file;
            files.Add(file);
        }
        var index = new JsonObject
        {
            ["metadata"] = new JsonObject { ["total_size"] = total },
            ["weight_map"] = weightMap,
        };
        File.WriteAllText(Path.Combine(folder, HfCheckpoint.SafetensorsIndexFile), index.ToJsonString(new System.Text.Json.JsonSerializerOptions { WriteIndented = true }));
        files.Add(HfCheckpoint.SafetensorsIndexFile);
        return files;
    }
}
