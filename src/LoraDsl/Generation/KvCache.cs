using static TorchSharp.torch;

namespace LoraDsl.Generation;

/// <summary>
/// Keys and values of the tokens seen so far, per layer, [batch, kv_heads, seq, head_dim].
/// Owns its tensors.
/// </summary>
internal sealed class KvCache : IDisposable
{
    readonly Tensor?[] keys;
    readonly Tensor?[] values;

    public KvCache(int layers)
    {
        keys = new Tensor?[layers];
        values = new Tensor?[layers];
    }

    /// <summary>Tokens already in the cache (the position of the next token).</summary>
    public long Length => keys[0]?.shape[2] ?? 0;

    /// <summary>Appends this step's keys and values for a layer and returns the full ones (owned by the cache).</summary>
    public (Tensor Keys, Tensor Values) Append(int layer, Tensor newKeys, Tensor newValues)
    {
        keys[layer] = Concat(keys[layer], newKeys);
        values[layer] = Concat(values[layer], newValues);
        return (keys[layer]!, values[layer]!);
    }

    static Tensor Concat(Tensor? old, Tensor next)
    {
        var joined = old is null ? next.detach() : cat(new[] { old, next.detach() }, dim: 2);
        joined.DetachFromDisposeScope();
        old?.Dispose();
        return joined;
    }

    public void Dispose()
    {
        foreach (var t in keys) t?.Dispose();
        foreach (var t in values) t?.Dispose();
        Array.Clear(keys);
        Array.Clear(values);
    }
}
