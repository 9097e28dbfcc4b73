using System.Globalization;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using LoraDsl.Checkpoints;
using TorchSharp;
using static TorchSharp.torch;

namespace LoraDsl.Quantization;

/// <summary>
/// A weight [out, in] stored as bitsandbytes stores a <c>Params4bit</c>: packed 4-bit codes, one absmax per block
/// (fp32, or with double quantisation 8-bit codes of absmax − offset with an fp32 absmax per 256 of them), the code
/// books, and the quant_state JSON. Immutable: requantising makes a new one.
/// </summary>
sealed class FourBitWeight : IDisposable
{
    public const string AbsmaxSuffix = ".absmax";
    public const string QuantMapSuffix = ".quant_map";
    public const string NestedAbsmaxSuffix = ".nested_absmax";
    public const string NestedQuantMapSuffix = ".nested_quant_map";
    public const string QuantStatePrefix = ".quant_state.bitsandbytes__";

    FourBitWeight(Tensor packed, Tensor absmax, Tensor quantMap, Tensor? nestedAbsmax, Tensor? nestedQuantMap, float nestedOffset,
        int blockSize, int nestedBlockSize, FourBitDataType dataType, long outFeatures, long inFeatures, ScalarType storedDtype)
    {
        Packed = packed;
        Absmax = absmax;
        QuantMap = quantMap;
        NestedAbsmax = nestedAbsmax;
        NestedQuantMap = nestedQuantMap;
        NestedOffset = nestedOffset;
        BlockSize = blockSize;
        NestedBlockSize = nestedBlockSize;
        DataType = dataType;
        OutFeatures = outFeatures;
        InFeatures = inFeatures;
        StoredDtype = storedDtype;
        var json = Encoding.UTF8.GetBytes(QuantStateJson());
        QuantState = tensor(json, ScalarType.Byte, device: packed.device);
    }

    /// <summary>uint8 [ceil(n/2), 1]: two codes per byte, the first in the high nibble.</summary>
    public Tensor Packed { get; }

    /// <summary>fp32 [blocks], or uint8 [blocks] when double-quantised.</summary>
    public Tensor Absmax { get; }

    /// <summary>fp32 [16]: the value of each 4-bit code.</summary>
    public Tensor QuantMap { get; }

    /// <summary>fp32 [ceil(blocks/256)]: absmax of each block of quantised absmax values (double quantisation only).</summary>
    public Tensor? NestedAbsmax { get; }

    /// <summary>fp32 [256]: the signed dynamic map the absmax codes index (double quantisation only).</summary>
    public Tensor? NestedQuantMap { get; }

    /// <summary>The mean absmax, subtracted before double quantisation.</summary>
    public float NestedOffset { get; }

    public bool DoubleQuant => NestedAbsmax is not null;

    public int BlockSize { get; }

    public int NestedBlockSize { get; }

    public FourBitDataType DataType { get; }

    public long OutFeatures { get; }

    public long InFeatures { get; }

    public long Count => OutFeatures * InFeatures;

    /// <summary>The dtype the weight had when quantised (quant_state's "dtype").</summary>
    public ScalarType StoredDtype { get; }

    /// <summary>uint8: the UTF-8 JSON of the non-tensor quant_state fields, as bitsandbytes' pack_dict_to_tensor writes it.</summary>
    public Tensor QuantState { get; }

    /// <summary>Bytes of every stored tensor (codes, scales, code books, JSON).</summary>
    public long StorageBytes => StateTensors("").Sum(t => t.Tensor.NumberOfElements * t.Tensor.ElementSize);

    /// <summary>Quantises <paramref name="weightOutIn"/> ([out, in], any float dtype) as bitsandbytes' quantize_4bit.</summary>
    public static FourBitWeight Quantize(Tensor weightOutIn, FourBitDataType dataType, int blockSize, bool doubleQuant)
    {
        if (weightOutIn.dim() != 2)
            throw new ArgumentException($"A 4-bit weight must be 2-D [out, in]; got [{string.Join(", ", weightOutIn.shape)}].");
        using var scope = NewDisposeScope();
        var (packed, absmax) = BlockwiseQuantizer.Quantize4Bit(weightOutIn, dataType, blockSize);
        var quantMap = tensor(FourBitCodeBook.Values(dataType), device: weightOutIn.device);
        Tensor storedAbsmax = absmax;
        Tensor? nestedAbsmax = null, nestedMap = null;
        var offset = 0f;
        if (doubleQuant)
        {
            offset = absmax.mean().ToSingle();
            nestedMap = tensor(DynamicQuantMap.SignedValues(), device: weightOutIn.device);
            using var centred = absmax - offset;
            (storedAbsmax, nestedAbsmax) = BlockwiseQuantizer.Quantize8Bit(centred, nestedMap, QuantizationOptions.NestedBlockSize);
        }
        var result = new FourBitWeight(packed, storedAbsmax, quantMap, nestedAbsmax, nestedMap, offset, blockSize,
            QuantizationOptions.NestedBlockSize, dataType, weightOutIn.shape[0], weightOutIn.shape[1], weightOutIn.dtype);
        result.DetachFromScope();
        return result;
    }

    /// <summary>The fp32 absmax of every block (dequantising the double-quantised ones: code·nested absmax + offset).</summary>
    public Tensor BlockAbsmax()
    {
        if (NestedAbsmax is null || NestedQuantMap is null) return Absmax.clone();
        using var centred = BlockwiseQuantizer.Dequantize8Bit(Absmax, NestedAbsmax, NestedQuantMap, NestedBlockSize);
        return centred + NestedOffset;
    }

    /// <summary>W [out, in] in <paramref name="dtype"/>, decoded block-wise (no whole fp32 copy unless dtype is fp32).</summary>
    public Tensor Dequantize(ScalarType dtype)
    {
        using var absmax = BlockAbsmax();
        using var flat = BlockwiseQuantizer.Dequantize4Bit(Packed, absmax, QuantMap, BlockSize, Count, dtype);
        return flat.view(OutFeatures, InFeatures);
    }

    /// <summary>The state-dict tensors under <paramref name="key"/> ("…q_proj.weight"), with bitsandbytes' names.</summary>
    public IEnumerable<(string Name, Tensor Tensor)> StateTensors(string key)
    {
        yield return (key, Packed);
        yield return (key + AbsmaxSuffix, Absmax);
        yield return (key + QuantMapSuffix, QuantMap);
        if (NestedAbsmax is not null) yield return (key + NestedAbsmaxSuffix, NestedAbsmax);
        if (NestedQuantMap is not null) yield return (key + NestedQuantMapSuffix, NestedQuantMap);
        yield return (key + QuantStatePrefix + FourBitCodeBook.Name(DataType), QuantState);
    }

    /// <summary>
    /// Rebuilds a weight saved by bitsandbytes under <paramref name="key"/>, checking every tensor against quant_state;
    /// <paramref name="read"/> returns a tensor by full name or null. Bad input throws one <see cref="CheckpointFormatException"/>.
    /// </summary>
    public static FourBitWeight FromState(string key, Func<string, Tensor?> read, string file, long outFeatures, long inFeatures)
    {
        using var scope = NewDisposeScope();
        (Tensor Tensor, string Name)? found = null;
        foreach (var type in Enum.GetValues<FourBitDataType>())
        {
            var name = key + QuantStatePrefix + FourBitCodeBook.Name(type);
            if (read(name) is { } t) { found = (t, name); break; }
        }
        if (found is not { } state)
            throw new CheckpointFormatException(
                $"4-bit weight '{key}' in '{file}' has no quant_state tensor ('{key}{QuantStatePrefix}nf4' or '…fp4'): the folder is incomplete.");
        var json = ParseState(state.Tensor, state.Name, file);
        var typeName = StringField(json, "quant_type", state.Name, file);
        var dataType = FourBitCodeBook.TryParse(typeName)
            ?? throw new CheckpointFormatException($"Tensor '{state.Name}' in '{file}': quant_type '{typeName}' is not nf4 or fp4.");
        if (!state.Name.EndsWith(FourBitCodeBook.Name(dataType), StringComparison.Ordinal))
            throw new CheckpointFormatException($"Tensor '{state.Name}' in '{file}' says quant_type '{typeName}', which its name contradicts.");
        var blockSize = IntField(json, "blocksize", state.Name, file);
        if (!QuantizationOptions.ValidBlockSizes.Contains(blockSize))
            throw new CheckpointFormatException(
                $"Tensor '{state.Name}' in '{file}': blocksize {blockSize} is not one bitsandbytes uses ({string.Join(", ", QuantizationOptions.ValidBlockSizes)}).");
        var storedDtype = DtypeOf(StringField(json, "dtype", state.Name, file), state.Name, file);
        if (json["shape"] is not JsonArray shape || shape.Count != 2 || shape.Any(s => s is not JsonValue))
            throw new CheckpointFormatException($"Tensor '{state.Name}' in '{file}' has no 2-D 'shape' [out, in].");
        var (storedOut, storedIn) = (shape[0]!.GetValue<long>(), shape[1]!.GetValue<long>());
        if (storedOut != outFeatures || storedIn != inFeatures)
            throw new CheckpointFormatException(
                $"Tensor '{state.Name}' in '{file}' has shape [{storedOut}, {storedIn}] but the model's '{key}' is [{outFeatures}, {inFeatures}] (check config.json).");

        var n = outFeatures * inFeatures;
        var blocks = (n + blockSize - 1) / blockSize;
        var packed = Required(read, key, file, ScalarType.Byte, (n + 1) / 2, "packed 4-bit codes");
        var nested = json.ContainsKey("nested_blocksize");
        var absmax = Required(read, key + AbsmaxSuffix, file, nested ? ScalarType.Byte : ScalarType.Float32, blocks,
            $"one absmax per block of {blockSize} over [{outFeatures}, {inFeatures}]");
        var quantMap = Required(read, key + QuantMapSuffix, file, ScalarType.Float32, 16, "the 16 code values");
        Tensor? nestedAbsmax = null, nestedMap = null;
        var offset = 0f;
        var nestedBlockSize = QuantizationOptions.NestedBlockSize;
        if (nested)
        {
            nestedBlockSize = IntField(json, "nested_blocksize", state.Name, file);
            if (nestedBlockSize <= 0)
                throw new CheckpointFormatException($"Tensor '{state.Name}' in '{file}': nested_blocksize {nestedBlockSize} is not positive.");
            if (json["nested_offset"] is not JsonValue o || !o.TryGetValue<double>(out var offsetValue))
                throw new CheckpointFormatException($"Tensor '{state.Name}' in '{file}' has no number 'nested_offset'.");
            offset = (float)offsetValue;
            if (!float.IsFinite(offset))
                throw new CheckpointFormatException($"Tensor '{state.Name}' in '{file}': nested_offset {offsetValue} is not a finite number.");
            nestedAbsmax = Required(read, key + NestedAbsmaxSuffix, file, ScalarType.Float32, (blocks + nestedBlockSize - 1) / nestedBlockSize,
                $"one absmax per {nestedBlockSize} block absmax values");
            nestedMap = Required(read, key + NestedQuantMapSuffix, file, ScalarType.Float32, 256, "the 256 dynamic-map values");
        }
        var result = new FourBitWeight(packed.reshape(-1, 1), absmax.reshape(-1), quantMap.reshape(-1), nestedAbsmax?.reshape(-1), nestedMap?.reshape(-1),
            offset, blockSize, nestedBlockSize, dataType, outFeatures, inFeatures, storedDtype);
        result.DetachFromScope();
        return result;
    }

    /// <summary>The quant_state fields as bitsandbytes' QuantState.as_dict(packed=True) JSON-encodes them (same keys and order).</summary>
    string QuantStateJson()
    {
        var text = new StringBuilder();
        text.Append(CultureInfo.InvariantCulture, $"{{\"quant_type\": \"{FourBitCodeBook.Name(DataType)}\", \"blocksize\": {BlockSize}, ");
        text.Append(CultureInfo.InvariantCulture, $"\"dtype\": \"{DtypeName(StoredDtype)}\", \"shape\": [{OutFeatures}, {InFeatures}]");
        if (DoubleQuant)
            text.Append(CultureInfo.InvariantCulture,
                $", \"nested_blocksize\": {NestedBlockSize}, \"nested_dtype\": \"float32\", \"nested_offset\": {((double)NestedOffset).ToString("R", CultureInfo.InvariantCulture)}");
        return text.Append('}').ToString();
    }

    public static string DtypeName(ScalarType dtype) => dtype switch
    {
        ScalarType.Float32 => "float32",
        ScalarType.BFloat16 => "bfloat16",
        ScalarType.Float16 => "float16",
        _ => throw new ArgumentException($"A 4-bit weight cannot come from dtype {dtype}."),
    };

    static ScalarType DtypeOf(string name, string tensorName, string file) => name switch
    {
        "float32" => ScalarType.Float32,
        "bfloat16" => ScalarType.BFloat16,
        "float16" => ScalarType.Float16,
        _ => throw new CheckpointFormatException($"Tensor '{tensorName}' in '{file}': dtype '{name}' is not float32, bfloat16 or float16."),
    };

    static JsonObject ParseState(Tensor state, string name, string file)
    {
        if (state.dtype != ScalarType.Byte || state.dim() != 1)
            throw new CheckpointFormatException($"Tensor '{name}' in '{file}' must be 1-D uint8 (JSON bytes); it is {state.dtype} [{string.Join(", ", state.shape)}].");
        var bytes = Native.HostMemory.ToArray<byte>(state);
        try
        {
            return JsonNode.Parse(bytes) as JsonObject
                ?? throw new CheckpointFormatException($"Tensor '{name}' in '{file}' does not hold a JSON object.");
        }
        catch (JsonException e)
        {
            throw new CheckpointFormatException($"Tensor '{name}' in '{file}' does not hold valid JSON: {e.Message}", e);
        }
    }

    static string StringField(JsonObject json, string field, string name, string file) =>
        json[field] is JsonValue v && v.TryGetValue<string>(out var s) ? s
            : throw new CheckpointFormatException($"Tensor '{name}' in '{file}' has no string field '{field}'.");

    static int IntField(JsonObject json, string field, string name, string file) =>
        json[field] is JsonValue v && v.TryGetValue<int>(out var i) ? i
            : throw new CheckpointFormatException($"Tensor '{name}' in '{file}' has no integer field '{field}'.");

    static Tensor Required(Func<string, Tensor?> read, string name, string file, ScalarType dtype, long count, string meaning)
    {
        var t = read(name) ?? throw new CheckpointFormatException($"4-bit tensor '{name}' is missing from '{file}' ({meaning}).");
        if (t.dtype != dtype || t.NumberOfElements != count)
            throw new CheckpointFormatException(
                $"Tensor '{name}' in '{file}' is {t.dtype} [{string.Join(", ", t.shape)}] but must be {dtype} with {count} values ({meaning}).");
        Checkpoints.FiniteValues.Require(t, name, file);
        return t;
    }

    void DetachFromScope()
    {
        foreach (var (_, t) in StateTensors("")) t.DetachFromDisposeScope();
    }

    public void Dispose()
    {
        foreach (var (_, t) in StateTensors("")) t.Dispose();
    }
}
