using LoraDsl.Checkpoints;
using LoraDsl.Interop.MiniLm;
using LoraDsl.Interop.Onnx;
using Xunit;

namespace LoraDsl.Tests.Interop;

public class OnnxBertWeightsTests
{
    [Fact]
    public void Maps_every_numbered_matmul_weight_to_its_module_and_transposes_it()
    {
        OnnxGraph graph;
        using (var stream = MiniLmImporter.OpenOnnxModel()) graph = OnnxGraph.Read(stream, "model.onnx");
        Assert.Equal(["input_ids", "attention_mask", "token_type_ids"], graph.Inputs);
        var sd = OnnxBertWeights.ToStateDict(graph);
        try
        {
            // 5 embedding tensors + 16 per layer × 6 + pooler 2.
            Assert.Equal(5 + 16 * 6 + 2, sd.Count);
            Assert.Equal([1536L, 384L], sd["encoder.layer.5.intermediate.dense.weight"].shape);
            Assert.Equal([384L, 1536L], sd["encoder.layer.5.output.dense.weight"].shape);
            Assert.DoesNotContain(sd.Keys, k => char.IsDigit(k[0]));
            Assert.Equal(12, OnnxBertWeights.InferAttentionHeads(graph, 384));

            // The query weight is the transpose of the initializer its MatMul reads.
            var matMul = graph.Nodes.First(n => n.OpType == "MatMul"
                && graph.Consumers(n.Outputs[0]).Any(a => a.Inputs.Contains("encoder.layer.0.attention.self.query.bias")));
            using var raw = graph.Initializers[matMul.Inputs[1]].ToTensor("model.onnx");
            using var transposed = raw.t();
            Assert.True(transposed.allclose(sd["encoder.layer.0.attention.self.query.weight"], rtol: 0, atol: 0));
        }
        finally
        {
            foreach (var t in sd.Values) t.Dispose();
        }
    }

    [Fact]
    public void An_unmappable_weight_names_the_initializer()
    {
        OnnxGraph graph;
        using (var stream = MiniLmImporter.OpenOnnxModel()) graph = OnnxGraph.Read(stream, "model.onnx");
        // Detach one MatMul from its bias Add: its weight no longer has a module name.
        var matMul = graph.Nodes.First(n => n.OpType == "MatMul" && graph.Initializers.ContainsKey(n.Inputs[1]));
        var index = graph.Nodes.IndexOf(matMul);
        graph.Nodes[index] = matMul with { Outputs = ["orphan"] };
        var e = Assert.Throws<CheckpointFormatException>(() => OnnxBertWeights.ToStateDict(graph));
        Assert.Contains($"'{matMul.Inputs[1]}'", e.Message);
        Assert.Contains("model.onnx", e.Message);
    }

    [Fact]
    public void Garbage_is_not_an_onnx_model()
    {
        using var stream = new MemoryStream([0xFF, 0xFF, 0xFF, 0xFF, 0x0F, 0x01]);
        Assert.Throws<CheckpointFormatException>(() => OnnxGraph.Read(stream, "bad.onnx"));
    }
}
