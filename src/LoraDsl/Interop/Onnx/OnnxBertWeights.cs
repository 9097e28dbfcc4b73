using LoraDsl.Checkpoints;
using static TorchSharp.torch;

namespace LoraDsl.Interop.Onnx;

/// <summary>
/// Recovers a Hugging Face BERT state dict from an ONNX export of <c>BertModel</c>. The exporter
/// keeps the names of biases, LayerNorms and embeddings, but gives MatMul weights numeric names
/// and stores them as [in, out]; each is named after the bias its MatMul's output is added to.
/// </summary>
internal static class OnnxBertWeights
{
    const int OnnxFloat = 1, OnnxInt64 = 7;

    /// <summary>New CPU tensors by Hugging Face name (without the <c>bert.</c> prefix); the caller disposes them.</summary>
    public static Dictionary<string, Tensor> ToStateDict(OnnxGraph graph)
    {
        var weights = new Dictionary<string, Tensor>(StringComparer.Ordinal);
        try
        {
            var mapped = new HashSet<string>(StringComparer.Ordinal);
            foreach (var node in graph.Nodes.Where(n => n.OpType == "MatMul" && n.Inputs.Count == 2))
            {
                if (!graph.Initializers.TryGetValue(node.Inputs[1], out var weight) || IsHuggingFaceName(weight.Name)) continue;
                var name = ModuleOfMatMul(graph, node, weight) + ".weight";
                if (weights.ContainsKey(name))
                    throw new CheckpointFormatException(
                        $"ONNX initializer '{weight.Name}' in '{graph.Source}' maps to '{name}', which another MatMul weight already took.");
                using var inOut = weight.ToTensor(graph.Source);
                weights[name] = inOut.t().contiguous();
                mapped.Add(weight.Name);
            }
            foreach (var (name, initializer) in graph.Initializers)
            {
                if (mapped.Contains(name) || name.EndsWith("position_ids", StringComparison.Ordinal)) continue;
                if (IsHuggingFaceName(name))
                {
                    if (initializer.DataType != OnnxFloat)
                        throw new CheckpointFormatException(
                            $"ONNX initializer '{name}' in '{graph.Source}' has data_type {initializer.DataType}; BERT weights must be float32.");
                    weights[name] = initializer.ToTensor(graph.Source);
                }
                // Unnamed float tensors that no MatMul consumed are weights we cannot place; int64 ones are shape constants.
                else if (initializer.DataType == OnnxFloat && initializer.Dims.Count >= 2)
                    throw new CheckpointFormatException(
                        $"ONNX initializer '{name}' [{string.Join(", ", initializer.Dims)}] in '{graph.Source}' is a weight that no MatMul + bias maps to a Hugging Face name.");
            }
            return weights;
        }
        catch
        {
            foreach (var t in weights.Values) t.Dispose();
            throw;
        }
    }

    /// <summary>
    /// The attention head count: the exporter reshapes each projection to [batch, seq, heads, head_dim]
    /// with the last two sizes stored as int64 [1] initializers feeding a Concat.
    /// </summary>
    public static int InferAttentionHeads(OnnxGraph graph, int hiddenSize)
    {
        foreach (var node in graph.Nodes.Where(n => n.OpType == "Concat" && n.Inputs.Count >= 2))
        {
            var heads = ScalarInt64(graph, node.Inputs[^2]);
            var headDim = ScalarInt64(graph, node.Inputs[^1]);
            if (heads > 1 && headDim > 1 && heads * headDim == hiddenSize) return (int)heads;
        }
        throw new CheckpointFormatException(
            $"'{graph.Source}': no reshape to [batch, seq, heads, head_dim] with heads × head_dim = {hiddenSize} was found, so the head count is unknown.");
    }

    static long ScalarInt64(OnnxGraph graph, string value) =>
        graph.Initializers.TryGetValue(value, out var init) && init.DataType == OnnxInt64 && init.Data.Length == 8
            ? BitConverter.ToInt64(init.Data.Span)
            : -1;

    static string ModuleOfMatMul(OnnxGraph graph, OnnxNode matMul, OnnxInitializer weight)
    {
        foreach (var add in graph.Consumers(matMul.Outputs[0]).Where(n => n.OpType == "Add"))
        {
            var bias = add.Inputs.FirstOrDefault(i => i != matMul.Outputs[0]);
            if (bias is not null && bias.EndsWith(".bias", StringComparison.Ordinal) && graph.Initializers.ContainsKey(bias))
                return bias[..^".bias".Length];
        }
        throw new CheckpointFormatException(
            $"ONNX initializer '{weight.Name}' in '{graph.Source}' feeds MatMul '{matMul.Name}', whose output is not added to a named '.bias'; its module is unknown.");
    }

    static bool IsHuggingFaceName(string name) => name.Contains('.') && !char.IsDigit(name[0]);
}
