using System.Text.Json.Nodes;
using LoraDsl.Checkpoints;
using static TorchSharp.torch;

namespace Benchmark;

/// <summary>
/// A LLaMA-architecture model of about 125 M parameters with random weights, written as a Hugging Face folder:
/// 12 layers, 768 wide, grouped-query attention with 12 query and 4 key/value heads, SwiGLU 2048, vocab 32,000, untied head.
/// </summary>
public static class RandomLlama
{
    public static void Write(string directory)
    {
        Directory.CreateDirectory(directory);
        var config = new JsonObject
        {
            ["model_type"] = "llama", ["architectures"] = new JsonArray("LlamaForCausalLM"),
            ["hidden_size"] = 768, ["intermediate_size"] = 2048, ["num_hidden_layers"] = 12,
            ["num_attention_heads"] = 12, ["num_key_value_heads"] = 4, ["vocab_size"] = 32000,
            ["max_position_embeddings"] = 2048, ["rms_norm_eps"] = 1e-5, ["rope_theta"] = 10000.0,
            ["hidden_act"] = "silu", ["tie_word_embeddings"] = false, ["bos_token_id"] = 1, ["eos_token_id"] = 2,
            ["torch_dtype"] = "float32",
        };
        File.WriteAllText(Path.Combine(directory, "config.json"), config.ToJsonString());
        manual_seed(0);
        using var model = ModelLoader.Initialize(directory, new ModelLoadOptions { Device = "cpu" });
        using (no_grad())
            foreach (var (name, p) in model.named_parameters())
            {
                if (name.EndsWith("norm.weight", StringComparison.Ordinal)) p.fill_(1);
                else p.normal_(0, 0.02);
            }
        HfCheckpointWriter.Save(model, directory, directory);
    }
}
