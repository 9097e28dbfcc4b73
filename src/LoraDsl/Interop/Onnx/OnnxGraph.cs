using Google.Protobuf;
using LoraDsl.Checkpoints;

namespace LoraDsl.Interop.Onnx;

/// <summary>
/// The parts of an ONNX <c>ModelProto</c> needed to import weights: the main graph's nodes,
/// initializers and input/output names. Field numbers follow onnx.proto.
/// </summary>
internal sealed class OnnxGraph
{
    OnnxGraph(string source) => Source = source;

    /// <summary>The file or resource the graph came from, for error messages.</summary>
    public string Source { get; }

    public List<OnnxNode> Nodes { get; } = [];

    public Dictionary<string, OnnxInitializer> Initializers { get; } = new(StringComparer.Ordinal);

    public List<string> Inputs { get; } = [];

    public List<string> Outputs { get; } = [];

    /// <summary>Reads a whole ONNX model file; <paramref name="source"/> names it in errors.</summary>
    public static OnnxGraph Read(Stream stream, string source)
    {
        var graph = new OnnxGraph(source);
        try
        {
            var model = new CodedInputStream(stream, leaveOpen: true);
            var found = false;
            while (ReadTag(model) is var tag && tag != 0)
            {
                // ModelProto.graph = 7.
                if (WireFormat.GetTagFieldNumber(tag) == 7 && IsLengthDelimited(tag))
                {
                    graph.ReadGraph(new CodedInputStream(model.ReadBytes().ToByteArray()));
                    found = true;
                }
                else model.SkipLastField();
            }
            if (!found) throw new CheckpointFormatException($"ONNX model '{source}' has no graph.");
        }
        catch (InvalidProtocolBufferException e)
        {
            throw new CheckpointFormatException($"'{source}' is not a valid ONNX model: {e.Message}", e);
        }
        return graph;
    }

    /// <summary>The nodes that read <paramref name="value"/>.</summary>
    public IEnumerable<OnnxNode> Consumers(string value) => Nodes.Where(n => n.Inputs.Contains(value));

    void ReadGraph(CodedInputStream input)
    {
        while (ReadTag(input) is var tag && tag != 0)
        {
            // GraphProto: node = 1, initializer = 5, input = 11, output = 12.
            switch (WireFormat.GetTagFieldNumber(tag))
            {
                case 1 when IsLengthDelimited(tag):
                    Nodes.Add(ReadNode(new CodedInputStream(input.ReadBytes().ToByteArray())));
                    break;
                case 5 when IsLengthDelimited(tag):
                    var initializer = ReadTensor(new CodedInputStream(input.ReadBytes().ToByteArray()));
                    Initializers[initializer.Name] = initializer;
                    break;
                case 11 when IsLengthDelimited(tag):
                    Inputs.Add(ReadValueInfoName(new CodedInputStream(input.ReadBytes().ToByteArray())));
                    break;
                case 12 when IsLengthDelimited(tag):
                    Outputs.Add(ReadValueInfoName(new CodedInputStream(input.ReadBytes().ToByteArray())));
                    break;
                default:
                    input.SkipLastField();
                    break;
            }
        }
    }

    static OnnxNode ReadNode(CodedInputStream input)
    {
        List<string> inputs = [], outputs = [];
        string name = "", opType = "";
        while (ReadTag(input) is var tag && tag != 0)
        {
            // NodeProto: input = 1, output = 2, name = 3, op_type = 4.
            switch (WireFormat.GetTagFieldNumber(tag))
            {
                case 1: inputs.Add(input.ReadString()); break;
                case 2: outputs.Add(input.ReadString()); break;
                case 3: name = input.ReadString(); break;
                case 4: opType = input.ReadString(); break;
                default: input.SkipLastField(); break;
            }
        }
        return new OnnxNode(name, opType, inputs, outputs);
    }

    OnnxInitializer ReadTensor(CodedInputStream input)
    {
        List<long> dims = [];
        var dataType = 0;
        var name = "";
        byte[]? raw = null;
        List<float> floats = [];
        List<long> longs = [];
        while (ReadTag(input) is var tag && tag != 0)
        {
            // TensorProto: dims = 1, data_type = 2, float_data = 4, int64_data = 7, name = 8, raw_data = 9, data_location = 14.
            switch (WireFormat.GetTagFieldNumber(tag))
            {
                case 1: ReadRepeated(input, tag, s => s.ReadInt64(), dims); break;
                case 2: dataType = input.ReadInt32(); break;
                case 4: ReadRepeated(input, tag, s => s.ReadFloat(), floats); break;
                case 7: ReadRepeated(input, tag, s => s.ReadInt64(), longs); break;
                case 8: name = input.ReadString(); break;
                case 9: raw = input.ReadBytes().ToByteArray(); break;
                case 14:
                    if (input.ReadInt32() != 0)
                        throw new CheckpointFormatException(
                            $"ONNX initializer '{name}' in '{Source}' stores its data in an external file, which this reader does not follow.");
                    break;
                default: input.SkipLastField(); break;
            }
        }
        raw ??= floats.Count > 0 ? floats.SelectMany(BitConverter.GetBytes).ToArray()
            : longs.Count > 0 ? longs.SelectMany(BitConverter.GetBytes).ToArray()
            : [];
        return new OnnxInitializer(name, [.. dims], dataType, raw);
    }

    static string ReadValueInfoName(CodedInputStream input)
    {
        var name = "";
        while (ReadTag(input) is var tag && tag != 0)
        {
            // ValueInfoProto.name = 1.
            if (WireFormat.GetTagFieldNumber(tag) == 1) name = input.ReadString();
            else input.SkipLastField();
        }
        return name;
    }

    /// <summary>A repeated scalar field arrives packed (one length-delimited run) or one element per tag.</summary>
    static void ReadRepeated<T>(CodedInputStream input, uint tag, Func<CodedInputStream, T> readOne, List<T> into)
    {
        if (!IsLengthDelimited(tag))
        {
            into.Add(readOne(input));
            return;
        }
        var packed = new CodedInputStream(input.ReadBytes().ToByteArray());
        while (!packed.IsAtEnd) into.Add(readOne(packed));
    }

    static uint ReadTag(CodedInputStream input) => input.IsAtEnd ? 0 : input.ReadTag();

    static bool IsLengthDelimited(uint tag) => WireFormat.GetTagWireType(tag) == WireFormat.WireType.LengthDelimited;
}
