using System.Text.Json.Nodes;
using LoraDsl.Checkpoints;
using static TorchSharp.torch;

namespace Benchmark;

/// <summary>GPT-2 small's architecture with Hugging Face's random init, written as a Hugging Face folder.</summary>
public static class RandomGpt2
{
    public static void Write(string directory, int layers)
    {
        Directory.CreateDirectory(directory);
        var config = new JsonObject
        {
            ["model_type"] = "gpt2", ["vocab_size"] = 50257, ["n_positions"] = 1024, ["n_embd"] = 768,
            ["n_layer"] = layers, ["n_head"] = 12, ["activation_function"] = "gelu_new", ["layer_norm_epsilon"] = 1e-5,
            ["tie_word_embeddings"] = true, ["bos_token_id"] = 50256, ["eos_token_id"] = 50256,
        };
        File.WriteAllText(Path.Combine(directory, "config.json"), config.ToJsonString());
        manual_seed(0);
        using var model = ModelLoader.Initialize(directory, new ModelLoadOptions { Device = "cpu" });
        using (no_grad())
        {
            foreach (var (name, p) in model.named_parameters())
            {
                if (name.EndsWith(".bias", StringComparison.Ordinal)) p.zero_();
                else if (name.Contains(".ln_", StringComparison.Ordinal) || name.StartsWith("transformer.ln_f", StringComparison.Ordinal)) p.fill_(1);
                else p.normal_(0, 0.02);
            }
        }
        HfCheckpointWriter.Save(model, directory, directory);
    }
}
