using System.Globalization;
using System.Text.Json;
using System.Text.Json.Nodes;
using LoraDsl.Checkpoints;

namespace LoraDsl.Models;

/// <summary>Typed reads of config.json fields; a wrong or missing field names the file and the field.</summary>
internal static class ConfigFields
{
    /// <summary>An integer field that must fit in 32 bits (sizes, counts, ids): a larger value is an error, never truncated.</summary>
    public static int Int(JsonObject raw, string field, string? path, int? fallback = null)
    {
        var value = Long(raw, field, path, fallback);
        return value is >= int.MinValue and <= int.MaxValue ? (int)value
            : throw new CheckpointFormatException($"{Where(path)}: field '{field}' is {value}, outside the range of a 32-bit integer ({int.MinValue} to {int.MaxValue}).");
    }

    public static long Long(JsonObject raw, string field, string? path, long? fallback = null)
    {
        var node = raw[field];
        if (node is null) return fallback ?? throw Missing(field, path, "an integer");
        if (Number(node) is { } d && d == Math.Floor(d) && Math.Abs(d) < 9e15) return (long)d;
        throw Wrong(field, path, "an integer", node);
    }

    public static int? OptionalInt(JsonObject raw, string field, string? path) =>
        raw[field] is null ? null : Int(raw, field, path);

    public static double Double(JsonObject raw, string field, string? path, double? fallback = null)
    {
        var node = raw[field];
        if (node is null) return fallback ?? throw Missing(field, path, "a number");
        if (Number(node) is { } d) return d;
        throw Wrong(field, path, "a number", node);
    }

    public static bool Bool(JsonObject raw, string field, string? path, bool fallback)
    {
        var node = raw[field];
        if (node is null) return fallback;
        if (node.GetValueKind() is JsonValueKind.True or JsonValueKind.False) return node.GetValueKind() == JsonValueKind.True;
        throw Wrong(field, path, "true or false", node);
    }

    public static string String(JsonObject raw, string field, string? path, string? fallback = null)
    {
        var node = raw[field];
        if (node is null) return fallback ?? throw Missing(field, path, "a string");
        if (node is JsonValue v && v.TryGetValue<string>(out var s)) return s;
        throw Wrong(field, path, "a string", node);
    }

    /// <summary>A token id field that HF writes as an integer, a list of integers, or null.</summary>
    public static IReadOnlyList<long> TokenIds(JsonObject raw, string field, string? path)
    {
        var node = raw[field];
        if (node is null) return [];
        if (node is JsonArray array)
            return array.Select((n, i) => Number(n) is { } d && d == Math.Floor(d) ? (long)d : throw Wrong($"{field}[{i}]", path, "an integer", n)).ToList();
        return [Long(raw, field, path)];
    }

    /// <summary>
    /// The number in <paramref name="node"/>, whether parsed from a file or built in code
    /// (a JsonValue holding an int does not convert to long through TryGetValue).
    /// </summary>
    static double? Number(JsonNode? node) =>
        node is JsonValue && node.GetValueKind() == JsonValueKind.Number
            ? double.Parse(node.ToJsonString(), NumberStyles.Float, CultureInfo.InvariantCulture)
            : null;

    /// <summary>Requires <paramref name="value"/> &gt; 0 for a size field.</summary>
    public static int Positive(int value, string field, string? path) =>
        value > 0 ? value : throw new CheckpointFormatException($"{Where(path)}: field '{field}' is {value}; it must be positive.");

    static CheckpointFormatException Missing(string field, string? path, string what) =>
        new($"{Where(path)}: required field '{field}' ({what}) is missing.");

    static CheckpointFormatException Wrong(string field, string? path, string what, JsonNode? node) =>
        new($"{Where(path)}: field '{field}' must be {what}, not {node?.ToJsonString() ?? "null"}.");

    internal static string Where(string? path) => path is null ? "config" : $"'{path}'";
}
