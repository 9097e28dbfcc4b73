using System.Text.Json.Nodes;
using LoraDsl.Checkpoints;
using static TorchSharp.torch;

namespace Benchmark;

/// <summary>
/// LLaMA-architecture models with random weights, written as Hugging Face folders: the 125 M model
/// (12 layers, 768 wide, GQA 12/4 heads, SwiGLU 2048, vocab 32,000, untied head) and a 1.1 B one shaped
/// like TinyLlama-1.1B (22 layers, 2048 wide, GQA 32/4 heads, SwiGLU 5632, vocab 32,000, untied head).
/// </summary>
public static class RandomLlama
{
    public sealed record Shape(int Layers, int Hidden, int Intermediate, int Heads, int KvHeads, ScalarType FileDtype);

    public static Shape Small { get; } = new(12, 768, 2048, 12, 4, ScalarType.Float32);

    /// <summary>Stored in bf16 (2.2 GB instead of 4.4): fp32 rows load it cast up, as they would a bf16 Hub checkpoint.</summary>
    public static Shape OneB { get; } = new(22, 2048, 5632, 32, 4, ScalarType.BFloat16);

    public static void Write(string directory) => Write(directory, Small);

    public static void Write(string directory, Shape shape)
    {
        Directory.CreateDirectory(directory);
        var bf16 = shape.FileDtype == ScalarType.BFloat16;
        var config = new JsonObject
        {
            ["model_type"] = "llama", ["architectures"] = new JsonArray("LlamaForCausalLM"),
            ["hidden_size"] = shape.Hidden, ["intermediate_size"] = shape.Intermediate, ["num_hidden_layers"] = shape.Layers,
            ["num_attention_heads"] = shape.Heads, ["num_key_value_heads"] = shape.KvHeads, ["vocab_size"] = 32000,
            ["max_position_embeddings"] = 2048, ["rms_norm_eps"] = 1e-5, ["rope_theta"] = 10000.0,
            ["hidden_act"] = "silu", ["tie_word_embeddings"] = false, ["bos_token_id"] = 1, ["eos_token_id"] = 2,
            ["torch_dtype"] = bf16 ? "bfloat16" : "float32",
        };
        File.WriteAllText(Path.Combine(directory, "config.json"), config.ToJsonString());
        manual_seed(0);
        // A bf16 file is made in bf16, so writing the 1.1 B model needs 2.2 GB, not 4.4.
        using var model = ModelLoader.Initialize(directory, new ModelLoadOptions { Device = "cpu", ComputeDtype = shape.FileDtype });
        using (no_grad())
            foreach (var (name, p) in model.named_parameters())
            {
                if (name.EndsWith("norm.weight", StringComparison.Ordinal)) p.fill_(1);
                else p.normal_(0, 0.02);
            }
        HfCheckpointWriter.Save(model, directory, directory, bf16 ? ScalarType.BFloat16 : null);
    }
}
