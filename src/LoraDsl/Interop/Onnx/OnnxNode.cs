namespace LoraDsl.Interop.Onnx;

/// <summary>One ONNX graph node: its operator and the value names it reads and writes.</summary>
internal sealed record OnnxNode(string Name, string OpType, IReadOnlyList<string> Inputs, IReadOnlyList<string> Outputs);
